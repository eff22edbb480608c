package hosting.aegir.backend.backup;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A backup a successful operation produced.
 *
 * @param taskIndex which task of the operation made it, when the engine said so
 * @param deletedAt when its file was deleted (by aegir.DeleteDrupalSiteBackups); absent
 * while it exists
 */
@Schema(name = "Backup")
@JsonInclude(JsonInclude.Include.NON_NULL)
record Backup(@Schema(example = "42") Long id,
		@Schema(example = "/var/aegir/backups/example.org-20261125T101500123456Z-k3x9qa.tar.gz") String path,
		@Schema(example = "48213012") Long sizeBytes,
		@Schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08") String sha256,
		@Schema(example = "Generated on request") String description, OffsetDateTime createdAt, UUID operationId,
		Integer taskIndex, @Schema(example = "site-3f2a9c1e") String target, OffsetDateTime deletedAt) {
}
