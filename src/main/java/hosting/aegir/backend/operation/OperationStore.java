package hosting.aegir.backend.operation;

import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Statements on the {@code operation} table, each status-changing one named after its
 * {@link OperationTransition} and guarded by the status it expects: zero rows means
 * another party (a user, a replica, the reaper) moved first, and the caller re-reads.
 * Times are the database's ({@code now()}), never a JVM's.
 */
@Component
public class OperationStore {

	/** Channel on which replicas hear that work was queued (payload: the engine). */
	public static final String QUEUED_CHANNEL = "aegir_queued";

	/**
	 * Channel on which replicas hear of cancel requests for running operations (payload:
	 * the id).
	 */
	public static final String CANCEL_CHANNEL = "aegir_cancel";

	private final JdbcClient jdbc;

	OperationStore(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** Wakes idle replicas; delivered when the surrounding transaction commits. */
	public void notifyQueued(String engine) {
		jdbc.sql("SELECT pg_notify('" + QUEUED_CHANNEL + "', :engine)").param("engine", engine).query().listOfRows();
	}

	/**
	 * {@link OperationTransition#CANCEL_QUEUED}: {@code QUEUED → CANCELLED}; false if it
	 * was no longer queued.
	 */
	public boolean cancelQueued(UUID id, String reason) {
		return jdbc.sql("""
				UPDATE operation
				   SET status = 'CANCELLED', reason = :reason, finished_at = now()
				 WHERE id = :id AND status = 'QUEUED'
				""").param("id", id).param("reason", reason).update() == 1;
	}

	/**
	 * {@link OperationTransition#REQUEST_CANCEL}: {@code RUNNING → CANCELLING}, and a
	 * NOTIFY (sent on commit) so the replica running it acts at once. A lost notification
	 * is covered by the heartbeat, which reads the status back. False if it was not
	 * running.
	 */
	public boolean requestCancel(UUID id, String reason) {
		return !jdbc.sql("""
				WITH cancelling AS (
				    UPDATE operation
				       SET status = 'CANCELLING', reason = :reason
				     WHERE id = :id AND status = 'RUNNING'
				 RETURNING id
				)
				SELECT pg_notify('%s', id::text) FROM cancelling
				""".formatted(CANCEL_CHANNEL)).param("id", id).param("reason", reason).query().listOfRows().isEmpty();
	}

}
