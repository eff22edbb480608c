package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;

import io.swagger.v3.oas.annotations.media.Schema;

/** One line of an operation's log. */
public record LogLine(@Schema(example = "42") long seq, OffsetDateTime at, @Schema(allowableValues = {
		"stdout", "stderr", "system" }) String stream,
		@Schema(example = "TASK [aegir.GenerateDrupalSiteBackup : Dump the site] ****") String text){
}
