package hosting.aegir.backend.operation;

import java.net.URI;
import java.util.List;

import hosting.aegir.backend.web.InvalidField;
import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A request that cannot be accepted: an engine not enabled, an unknown task, wrong
 * variables or hosts, unstorable values. A problem whose status and type follow its
 * {@link Kind}, listing what is wrong in {@code errors}. Public because the webhook
 * module refuses callback URLs with it.
 */
public class OperationRejectedException extends ErrorResponseException {

	private final Kind kind;

	private final List<Violation> violations;

	public OperationRejectedException(Kind kind, String detail, List<Violation> violations) {
		super(kind.status, problem(kind, detail, violations), null);
		this.kind = kind;
		this.violations = List.copyOf(violations);
	}

	private static ProblemDetail problem(Kind kind, String detail, List<Violation> violations) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(kind.status, detail);
		problem.setType(kind.type);
		problem.setProperty("errors", violations.stream().map(v -> new InvalidField(v.field(), v.message())).toList());
		return problem;
	}

	public Kind kind() {
		return kind;
	}

	public List<Violation> violations() {
		return violations;
	}

	// The detail, as before this became a problem, rather than ErrorResponseException's
	// status and body dump.
	@Override
	public String getMessage() {
		return getBody().getDetail();
	}

	/** Why the operation was refused; each kind has its own problem type and status. */
	public enum Kind {

		ENGINE_UNAVAILABLE(HttpStatus.UNPROCESSABLE_CONTENT, ProblemTypes.ENGINE_UNAVAILABLE),

		TASK_INVALID(HttpStatus.UNPROCESSABLE_CONTENT, ProblemTypes.TASK_INVALID),

		/** {@code hosts} is a pattern, or names something the inventory does not hold. */
		HOSTS_INVALID(HttpStatus.UNPROCESSABLE_CONTENT, ProblemTypes.HOSTS_INVALID),

		/**
		 * The operator's inventory could not be read to check {@code hosts}: the
		 * service's problem, not the client's.
		 */
		INVENTORY_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.INVENTORY_UNAVAILABLE),

		/**
		 * A value that cannot be stored as given (NUL, broken Unicode): malformed, a 400.
		 */
		INVALID_INPUT(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION_FAILED),

		/** {@code callbackUrl} names a host outside the operator's allow-list. */
		CALLBACK_NOT_ALLOWED(HttpStatus.UNPROCESSABLE_CONTENT, ProblemTypes.CALLBACK_NOT_ALLOWED);

		private final HttpStatus status;

		private final URI type;

		Kind(HttpStatus status, URI type) {
			this.status = status;
			this.type = type;
		}

	}

	/** One thing wrong with the request: where, and what. */
	public record Violation(String field, String message) {
	}

}
