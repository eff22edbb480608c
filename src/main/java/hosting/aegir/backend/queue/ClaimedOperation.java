package hosting.aegir.backend.queue;

import java.time.Instant;
import java.util.UUID;

/** An operation this replica has claimed and must run, as the claim query returned it. */
public record ClaimedOperation(UUID id, String type, String engine, String target, String hosts, String varsJson,
		String tasksJson, String secretVarsJson, int timeoutSeconds, int attempt, int maxAttempts, boolean retry,
		Instant startedAt) {
}
