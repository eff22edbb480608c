package hosting.aegir.backend.backup;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** A backup a successful operation produced. */
@Schema(name = "Backup")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Backup(@Schema(example = "/var/aegir/backups/example.org-20261125T101500123456Z-k3x9qa.tar.gz") String path,
		@Schema(example = "48213012") Long sizeBytes, OffsetDateTime createdAt, UUID operationId,
		@Schema(example = "site-3f2a9c1e") String target) {
}
