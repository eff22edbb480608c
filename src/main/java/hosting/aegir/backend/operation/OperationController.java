package hosting.aegir.backend.operation;

import java.net.URI;
import java.security.Principal;
import java.util.UUID;

import hosting.aegir.backend.catalog.TaskCatalog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.WebRequest;

/** The Operations API: submit, follow, list, read the log and events, cancel. */
@RestController
@RequestMapping(path = "/api/v1/operations", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Operations", description = "Submit operations and follow them to the end")
class OperationController {

	/**
	 * Who submitted and cancelled what: a logger of its own, so operators can route and
	 * keep these lines.
	 */
	private static final Logger AUDIT = LoggerFactory.getLogger("hosting.aegir.backend.audit");

	private final OperationService service;

	// Resolved once, not per read: an ObjectProvider looks the bean up on every call.
	private final SingletonSupplier<TaskCatalog> catalogs;

	public OperationController(OperationService service, ObjectProvider<TaskCatalog> catalogs) {
		this.service = service;
		this.catalogs = SingletonSupplier.ofNullable(catalogs::getIfAvailable);
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "submitOperation", summary = "Submit an operation",
			description = "Stores the operation as QUEUED and returns it; it is committed before the response is sent. "
					+ "With an Idempotency-Key, repeating the same request returns the same operation (200) and "
					+ "reusing the key for another request is a 409.")
	@ApiResponse(responseCode = "202", description = "Accepted and queued",
			headers = @Header(name = "Location", description = "URL of the new operation",
					schema = @Schema(type = "string", format = "uri-reference")))
	@ApiResponse(responseCode = "200", description = "A repeat of an earlier request with the same Idempotency-Key")
	@ApiResponse(responseCode = "409", description = "The Idempotency-Key was used for a different request",
			content = @Content(mediaType = "application/problem+json"))
	public ResponseEntity<OperationView> submit(@Valid @RequestBody SubmitOperationRequest request,
			@Parameter(
					description = "Makes retries safe: the same key and body return the same operation") @RequestHeader(
							name = "Idempotency-Key",
							required = false) @Size(min = 1, max = 200) @Pattern(regexp = "[\\x21-\\x7e]+",
									message = "must be printable ASCII without spaces") String idempotencyKey,
			Principal principal) {
		OperationService.Submission submission = service.submit(request, idempotencyKey);
		OperationView op = submission.operation();
		audit(op, principal, submission.created() ? "submitted" : "re-submitted (same Idempotency-Key: nothing new)");
		return ResponseEntity.status(submission.created() ? HttpStatus.ACCEPTED : HttpStatus.OK)
			.location(URI.create("/api/v1/operations/" + op.id()))
			.eTag(submission.etag())
			.body(op);
	}

	@GetMapping("/{id}")
	@Operation(operationId = "getOperation", summary = "Get an operation",
			description = "Status, exit code, reason, outputs and per-task status. Poll with If-None-Match: "
					+ "a 304 means nothing changed.")
	@ApiResponse(responseCode = "200", description = "The operation",
			headers = @Header(name = "ETag",
					description = "Weak validator: changes whenever anything shown changes, except heartbeatAt alone",
					schema = @Schema(type = "string")))
	@ApiResponse(responseCode = "304", description = "Unchanged since the ETag given in If-None-Match",
			content = @Content)
	public ResponseEntity<OperationView> get(@PathVariable UUID id, WebRequest request,
			@Parameter(hidden = true) org.springframework.security.core.Authentication caller) {
		// Secret outputs (a login link) are for whoever may submit; a viewer sees that
		// they exist, not what they are.
		boolean submitter = caller != null
				&& caller.getAuthorities().stream().anyMatch(a -> "ROLE_SUBMITTER".equals(a.getAuthority()));
		OperationStore.Variant variant = submitter ? OperationStore.Variant.SUBMITTER : OperationStore.Variant.VIEWER;
		// A poller with a validator usually holds the current one: compare it first, from
		// one narrow
		// query, and answer 304 without reading or rendering the operation. The validator
		// is weak: it
		// ignores heartbeatAt, so a running operation gets its 304 until something else
		// shown changes
		// (OperationStore computes it).
		if (request.getHeader(HttpHeaders.IF_NONE_MATCH) != null
				&& request.checkNotModified(service.etag(id, variant))) {
			return null;
		}
		OperationService.Read read = service.read(id, variant);
		OperationView op = read.operation();
		if (!submitter) {
			var catalog = catalogs.get();
			op = catalog == null ? op : op.withOutputsMasked(
					catalog.secretOutputs(op.engine(), op.tasks().stream().map(OperationView.TaskView::name).toList()));
		}
		return ResponseEntity.ok().eTag(read.etag()).body(op);
	}

	@GetMapping
	@Operation(operationId = "listOperations", summary = "List operations",
			description = "Summaries (no vars), newest first, optionally filtered. A page ends with 'next' when older "
					+ "operations remain: pass it as ?after= for the next page.")
	public OperationPage list(@RequestParam(required = false) OperationStatus status,
			@RequestParam(required = false) @Size(max = 200) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:@/-]*",
					message = "must be a target as submitted") String target,
			@RequestParam(required = false) @Size(max = 100) @Pattern(regexp = "[a-z0-9][a-z0-9._-]*",
					message = "must be a type as submitted") String type,
			@Parameter(description = "The 'next' of the previous page") @RequestParam(required = false) @Size(
					max = 200) String after,
			@Parameter(schema = @Schema(type = "integer", format = "int32", defaultValue = "20", minimum = "1",
					maximum = "200")) @RequestParam(defaultValue = "20") @Min(1) @Max(200) int size) {
		return service.list(status, target, type, after, size);
	}

	@GetMapping("/{id}/log")
	@Operation(operationId = "readLog", summary = "Read the log incrementally",
			description = "Lines with seq greater than 'after', oldest first. Poll again with after=next until complete is true.")
	public LogPage log(@PathVariable UUID id,
			@Parameter(description = "Sequence number of the last line already read") @RequestParam(
					defaultValue = "0") @Min(0) long after,
			@Parameter(schema = @Schema(type = "integer", format = "int32", defaultValue = "1000", minimum = "1",
					maximum = "10000")) @RequestParam(defaultValue = "1000") @Min(1) @Max(10000) int limit) {
		return service.log(id, after, limit);
	}

	@GetMapping("/{id}/events")
	@Operation(operationId = "listTaskEvents", summary = "Task events",
			description = "The structured result of each task on each host, in order, with seq greater than 'after'. "
					+ "Poll again with after=next until complete is true.")
	public EventPage events(@PathVariable UUID id,
			@Parameter(description = "Sequence number of the last event already read") @RequestParam(
					defaultValue = "0") @Min(0) long after,
			@Parameter(schema = @Schema(type = "integer", format = "int32", defaultValue = "1000", minimum = "1",
					maximum = "10000")) @RequestParam(defaultValue = "1000") @Min(1) @Max(10000) int limit) {
		return service.events(id, after, limit);
	}

	@PostMapping("/{id}/cancel")
	@Operation(operationId = "cancelOperation", summary = "Cancel an operation",
			description = "A queued operation becomes CANCELLED at once; a running one becomes CANCELLING and then "
					+ "CANCELLED when its engine has stopped. Idempotent: a finished operation is returned unchanged (200).")
	@ApiResponse(responseCode = "202", description = "Cancelled, or cancellation under way")
	@ApiResponse(responseCode = "200", description = "Already finished or already cancelling: nothing changed")
	public ResponseEntity<OperationView> cancel(@PathVariable UUID id, Principal principal) {
		OperationService.Cancellation result = service.cancel(id,
				principal == null ? "anonymous" : principal.getName());
		audit(result.operation(), principal, result.changed() ? "cancel requested, now " + result.operation().status()
				: "cancel requested, unchanged (" + result.operation().status() + ")");
		return ResponseEntity.status(result.changed() ? HttpStatus.ACCEPTED : HttpStatus.OK)
			.eTag(result.etag())
			.body(result.operation());
	}

	// One line per change a client asks for, naming the token that asked (its name is the
	// principal),
	// with the operation in the logging context like the lines of its run.
	private static void audit(OperationView op, Principal principal, String what) {
		String by = principal == null ? "anonymous" : principal.getName();
		try (var id = MDC.putCloseable("operation.id", op.id().toString());
				var target = MDC.putCloseable("operation.target", op.target());
				var user = MDC.putCloseable("user.name", by)) {
			AUDIT.info("Operation {} ({}, target {}) {} by {}", op.id(), op.type(), op.target(), what, by);
		}
	}

}
