package hosting.aegir.backend.operation;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** Log lines after a cursor, and the cursor to poll with next. */
@Schema(name = "LogPage")
record LogPage(List<LogLine> lines, @Schema(description = "Pass as ?after= on the next poll") long next, @Schema(
		description = "True when the operation is finished and no line is left after 'next'") boolean complete) {
}
