package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** A structured result reported by the engine for one task on one host. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskEvent(long seq, OffsetDateTime at,
		@Schema(description = "Index of the operation task this result belongs to") Integer taskIndex,
		@Schema(example = "Dump the site") String task, @Schema(example = "aegir.GenerateDrupalSiteBackup") String role,
		@Schema(example = "localhost") String host, @Schema(allowableValues = {
				"ok", "changed", "failed", "skipped", "unreachable" }) String status,
		boolean changed, Long durationMs, String message){
}
