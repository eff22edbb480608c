package hosting.aegir.backend.operation;

import java.util.List;
import java.util.Map;

/**
 * A submitted operation after defaults are applied: what is stored and what the
 * idempotency hash covers.
 */
record NewOperation(String type, String engine, String target, String hosts, Map<String, Object> vars,
		List<TaskSpec> tasks, int timeoutSeconds, boolean retry, int maxAttempts, String idempotencyKey,
		List<String> secretVars, String callbackUrl, boolean check, int verbosity) {

	/** A real run (no dry run), quiet. */
	public NewOperation(String type, String engine, String target, String hosts, Map<String, Object> vars,
			List<TaskSpec> tasks, int timeoutSeconds, boolean retry, int maxAttempts, String idempotencyKey,
			List<String> secretVars, String callbackUrl) {
		this(type, engine, target, hosts, vars, tasks, timeoutSeconds, retry, maxAttempts, idempotencyKey, secretVars,
				callbackUrl, false, 0);
	}

	/** An operation without a callback. */
	public NewOperation(String type, String engine, String target, String hosts, Map<String, Object> vars,
			List<TaskSpec> tasks, int timeoutSeconds, boolean retry, int maxAttempts, String idempotencyKey,
			List<String> secretVars) {
		this(type, engine, target, hosts, vars, tasks, timeoutSeconds, retry, maxAttempts, idempotencyKey, secretVars,
				null);
	}

}
