package hosting.aegir.backend.queue;

import java.util.UUID;

import org.springframework.context.annotation.Import;
import org.springframework.stereotype.Component;

/**
 * What the rest of the service may ask of the queue: wake the replicas when work is
 * queued, and the two cancellations. Everything else (claims, leases, completions, the
 * log) stays inside this package, behind {@link QueueSql}.
 */
@Component
@Import(QueueSql.class)
public class OperationQueue {

	private final QueueSql sql;

	OperationQueue(QueueSql sql) {
		this.sql = sql;
	}

	/** Wakes idle replicas; delivered when the surrounding transaction commits. */
	public void notifyQueued(String engine) {
		sql.notifyQueued(engine);
	}

	/** {@code QUEUED → CANCELLED}; false if it was no longer queued. */
	public boolean cancelQueued(UUID id, String reason) {
		return sql.cancelQueued(id, reason);
	}

	/**
	 * {@code RUNNING → CANCELLING}, and a notification (sent on commit) so the replica
	 * running it acts at once; false if it was not running.
	 */
	public boolean requestCancel(UUID id, String reason) {
		return sql.requestCancel(id, reason);
	}

}
