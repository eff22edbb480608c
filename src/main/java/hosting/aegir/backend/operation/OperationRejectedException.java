package hosting.aegir.backend.operation;

import java.util.List;

/** A well-formed request that cannot be accepted here: an engine not enabled, an unknown task, wrong variables. */
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
		ENGINE_UNAVAILABLE, TASK_INVALID, CALLBACK_NOT_ALLOWED
	}

	/** One thing wrong with the request: where, and what. */
	public record Violation(String field, String message) {
	}

}
