package hosting.aegir.backend.operation;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** Task events after a cursor, and the cursor to poll with next. */
@Schema(name = "EventPage")
record EventPage(List<TaskEvent> events, @Schema(description = "Pass as ?after= on the next poll") long next, @Schema(
		description = "True when the operation is finished and no event is left after 'next'") boolean complete) {
}
