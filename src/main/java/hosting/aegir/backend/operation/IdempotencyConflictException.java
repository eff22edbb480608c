package hosting.aegir.backend.operation;

import java.util.UUID;

/** An Idempotency-Key was reused with a different request. */
public class IdempotencyConflictException extends RuntimeException {

	private final UUID existing;

	public IdempotencyConflictException(UUID existing) {
		super("the Idempotency-Key was already used for operation " + existing + " with a different request");
		this.existing = existing;
	}

	public UUID existing() {
		return existing;
	}

}
