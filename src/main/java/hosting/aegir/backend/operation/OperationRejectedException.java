package hosting.aegir.backend.operation;

import java.util.List;

/**
 * A request that cannot be accepted: an engine not enabled, an unknown task, wrong
 * variables or hosts, unstorable values.
 */
public class OperationRejectedException extends RuntimeException {

	private final Kind kind;

	private final List<Violation> violations;

	public OperationRejectedException(Kind kind, String detail, List<Violation> violations) {
		super(detail);
		this.kind = kind;
		this.violations = List.copyOf(violations);
	}

	public Kind kind() {
		return kind;
	}

	public List<Violation> violations() {
		return violations;
	}

	/** Why the operation was refused; each kind has its own problem type. */
	public enum Kind {

		ENGINE_UNAVAILABLE, TASK_INVALID,
		/** {@code hosts} is a pattern, or names something the inventory does not hold. */
		HOSTS_INVALID,
		/**
		 * The operator's inventory could not be read to check {@code hosts}: the
		 * service's problem, not the client's.
		 */
		INVENTORY_UNAVAILABLE,
		/**
		 * A value that cannot be stored as given (NUL, broken Unicode): malformed, a 400.
		 */
		INVALID_INPUT,
		/** {@code callbackUrl} names a host outside the operator's allow-list. */
		CALLBACK_NOT_ALLOWED

	}

	/** One thing wrong with the request: where, and what. */
	public record Violation(String field, String message) {
	}

}
