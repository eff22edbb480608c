package hosting.aegir.backend.operation;

import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The status changes the API asks for, each one SQL statement guarded by the status it expects, so
 * two replicas (or an executor and a user) can never overwrite each other's transition: the loser
 * updates zero rows and re-reads. The queue's own transitions (claim, heartbeat, completion, reaping)
 * live in {@code queue.QueueSql} beside the code that runs them.
 */
@Repository
public class OperationTransitions {

	/** Channel on which replicas hear of cancel requests for running operations. */
	public static final String CANCEL_CHANNEL = "aegir_cancel";

	private final JdbcClient jdbc;

	public OperationTransitions(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** {@code QUEUED → CANCELLED}; false if it was no longer queued. */
	public boolean cancelQueued(UUID id, String reason) {
		return jdbc.sql("""
				UPDATE operation
				   SET status = 'CANCELLED', reason = :reason, finished_at = now()
				 WHERE id = :id AND status = 'QUEUED'
				""").param("id", id).param("reason", reason).update() == 1;
	}

	/**
	 * {@code RUNNING → CANCELLING}, and a NOTIFY (delivered on commit) so that the replica running it
	 * acts at once; a lost notification is covered by the heartbeat, which reads the status back.
	 */
	public boolean requestCancel(UUID id, String reason) {
		return !jdbc.sql("""
				WITH cancelled AS (
				    UPDATE operation
				       SET status = 'CANCELLING', reason = :reason
				     WHERE id = :id AND status = 'RUNNING'
				 RETURNING id
				)
				SELECT pg_notify('%s', id::text) FROM cancelled
				""".formatted(CANCEL_CHANNEL)).param("id", id).param("reason", reason).query().listOfRows().isEmpty();
	}

}
