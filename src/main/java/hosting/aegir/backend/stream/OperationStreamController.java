package hosting.aegir.backend.stream;

import java.util.UUID;

import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.OperationView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/v1/operations/{id}/stream}: an operation's status, task events and log
 * lines, pushed as they happen.
 */
@RestController
@Tag(name = "Operations", description = "Submit operations and follow them to the end")
class OperationStreamController {

	private final OperationService operations;

	private final StreamHub hub;

	private final StreamSql sql;

	OperationStreamController(OperationService operations, StreamHub hub, StreamSql sql) {
		this.operations = operations;
		this.hub = hub;
		this.sql = sql;
	}

	@GetMapping(path = "/api/v1/operations/{id}/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	@Operation(summary = "Follow an operation as Server-Sent Events", description = """
			Pushes what the log, events and get endpoints would show, as it happens: `status` events \
			(the operation, as GET returns it) when the status changes and once at the start, `log` events \
			(one log line each) and `task` events (one task result each), then ends after the terminal status. \
			Each event's `id` is the stream position `<log seq>-<task event seq>`: reconnecting with it in \
			`Last-Event-ID` resumes after the last line and task event received, without loss or repeats \
			(EventSource does this by itself). A client that already has everything of a finished operation \
			gets 204, which tells EventSource to stop reconnecting.""")
	@ApiResponse(responseCode = "200", description = "The event stream",
			content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE,
					schema = @Schema(type = "string",
							example = """
									event:status
									id:0-0
									data:{"id":"0b8e…","status":"RUNNING",…}

									event:log
									id:1-0
									data:{"seq":1,"at":"2026-11-25T10:15:00.123Z","stream":"system","text":"attempt 1 started on replica a"}

									event:task
									id:7-1
									data:{"seq":1,"task":"Dump the site","status":"changed",…}
									""")))
	@ApiResponse(responseCode = "204",
			description = "The operation is finished and Last-Event-ID shows the client has all of it",
			content = @Content)
	@ApiResponse(responseCode = "503", description = "This replica holds its maximum of streams; retry (Retry-After)",
			content = @Content(mediaType = "application/problem+json"))
	public ResponseEntity<SseEmitter> stream(@PathVariable UUID id,
			@Parameter(description = "The id of the last event received, to resume after it",
					example = "42-3") @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
		Cursor from = Cursor.START;
		if (lastEventId != null && !lastEventId.isBlank()) {
			from = Cursor.parse(lastEventId);
			if (from == null) {
				throw new BadLastEventIdException();
			}
		}
		OperationView op = operations.get(id);
		if (op.status().isTerminal() && lastEventId != null && from.covers(sql.end(id))) {
			return ResponseEntity.noContent().build();
		}
		return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).body(hub.subscribe(id, from));
	}

}
