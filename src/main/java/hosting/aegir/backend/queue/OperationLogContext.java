package hosting.aegir.backend.queue;

import hosting.aegir.backend.operation.ClaimedOperation;

import org.slf4j.MDC;

/**
 * Puts the operation being handled into the logging context (MDC) of the current thread,
 * so that every line logged meanwhile names it: {@code operation.id},
 * {@code operation.target}, {@code operation.attempt} (nested under {@code operation} in
 * the ECS JSON lines). Closing it removes them again, since pool threads go on to other
 * operations.
 */
final class OperationLogContext implements AutoCloseable {

	static final String ID = "operation.id";

	static final String TARGET = "operation.target";

	static final String ATTEMPT = "operation.attempt";

	private OperationLogContext() {
	}

	static OperationLogContext of(ClaimedOperation op) {
		MDC.put(ID, op.id().toString());
		MDC.put(TARGET, op.target());
		MDC.put(ATTEMPT, Integer.toString(op.attempt()));
		return new OperationLogContext();
	}

	/** Runs the action with the operation in the logging context. */
	static void run(ClaimedOperation op, Runnable action) {
		try (OperationLogContext context = of(op)) {
			action.run();
		}
	}

	@Override
	public void close() {
		MDC.remove(ID);
		MDC.remove(TARGET);
		MDC.remove(ATTEMPT);
	}

}
