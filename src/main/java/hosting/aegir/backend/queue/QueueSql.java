package hosting.aegir.backend.queue;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/**
 * Every hand-written statement that changes an operation's state, in one place. PostgreSQL is the
 * queue; the rules these statements keep are:
 * <ul>
 * <li>Each transition is one statement guarded by the status it expects; zero rows means another
 * party (a user, another replica, the reaper) moved first, and the caller re-reads.</li>
 * <li>Work done by an executor is fenced by {@code claimed_by} and {@code attempt}: a replica that
 * lost its lease (reaped while paused, say) can no longer write a result.</li>
 * <li>Times are the database's ({@code now()}), never a JVM's, so replicas with skewed clocks
 * agree on what is stale.</li>
 * <li>No transaction is held while an engine runs: claim commits, the run happens, completion is a
 * new statement.</li>
 * </ul>
 */
@Repository
public class QueueSql {

	/** Channel on which replicas hear that work was queued (payload: the engine). */
	public static final String QUEUED_CHANNEL = "aegir_queued";

	/** Channel on which replicas hear of cancel requests for running operations (payload: the id). */
	public static final String CANCEL_CHANNEL = "aegir_cancel";

	private final JdbcClient jdbc;

	private final JdbcTemplate template;

	private final ApplicationEventPublisher events;

	public QueueSql(JdbcClient jdbc, JdbcTemplate template, ApplicationEventPublisher events) {
		this.jdbc = jdbc;
		this.template = template;
		this.events = events;
	}

	/** Wakes idle replicas; delivered when the surrounding transaction commits. */
	public void notifyQueued(String engine) {
		jdbc.sql("SELECT pg_notify('" + QUEUED_CHANNEL + "', :engine)").param("engine", engine).query().listOfRows();
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
	 * {@code RUNNING → CANCELLING}, and a NOTIFY (sent on commit) so the replica running it acts at
	 * once. A lost notification is covered by the heartbeat, which reads the status back.
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

	/**
	 * Claims up to {@code limit} queued operations for this replica, oldest first, and marks them
	 * RUNNING in the same statement.
	 * <p>
	 * {@code FOR UPDATE SKIP LOCKED} lets replicas claim side by side without waiting on each
	 * other's rows. An operation is only eligible when its target has nothing active (so a busy site
	 * does not block the queue behind it: it is skipped, not waited on) and nothing older still
	 * queued (so a site's operations start in the order they were submitted, and one claim never
	 * takes two operations of one target). Should two replicas still race on one target, the partial
	 * unique index {@code operation_one_active_per_target} refuses the second; the caller treats
	 * that as "nothing claimed" and tries again.
	 * <p>
	 * Every lookup here is served by a partial index over queued or active rows only, so the cost
	 * does not grow with the history of finished operations.
	 */
	public List<ClaimedOperation> claim(String replica, Collection<String> engines, int limit) {
		if (limit <= 0 || engines.isEmpty()) {
			return List.of();
		}
		return jdbc.sql("""
				UPDATE operation o
				   SET status = 'RUNNING', claimed_by = :replica, attempt = o.attempt + 1,
				       started_at = now(), heartbeat_at = now(), reason = NULL
				 WHERE o.id IN (
				        SELECT q.id
				          FROM operation q
				         WHERE q.status = 'QUEUED'
				           AND q.engine IN (:engines)
				           AND NOT EXISTS (SELECT 1 FROM operation a
				                            WHERE a.target = q.target AND a.status IN ('RUNNING', 'CANCELLING'))
				           AND NOT EXISTS (SELECT 1 FROM operation b
				                            WHERE b.target = q.target AND b.status = 'QUEUED'
				                              AND (b.created_at, b.id) < (q.created_at, q.id))
				         ORDER BY q.created_at, q.id
				         LIMIT :limit
				           FOR UPDATE SKIP LOCKED)
				RETURNING o.id, o.type, o.engine, o.target, o.hosts, o.vars::text AS vars, o.tasks::text AS tasks,
				          o.secret_vars::text AS secret_vars, o.timeout_seconds, o.attempt, o.max_attempts, o.retry,
				          o.started_at
				""").param("replica", replica).param("engines", engines).param("limit", limit)
			.query((rs, n) -> new ClaimedOperation(rs.getObject("id", UUID.class), rs.getString("type"),
					rs.getString("engine"), rs.getString("target"), rs.getString("hosts"), rs.getString("vars"),
					rs.getString("tasks"), rs.getString("secret_vars"), rs.getInt("timeout_seconds"), rs.getInt("attempt"),
					rs.getInt("max_attempts"), rs.getBoolean("retry"), rs.getTimestamp("started_at").toInstant()))
			.list();
	}

	/**
	 * Refreshes the heartbeat of one running operation of this replica and reads its status back:
	 * empty when the lease is lost (reaped, or re-claimed as a later attempt), CANCELLING when a
	 * cancel was requested, whether or not its NOTIFY arrived.
	 */
	public Optional<String> heartbeat(UUID id, String replica, int attempt) {
		return jdbc.sql("""
				UPDATE operation SET heartbeat_at = now()
				 WHERE id = :id AND claimed_by = :replica AND attempt = :attempt
				   AND status IN ('RUNNING', 'CANCELLING')
				RETURNING status
				""").param("id", id).param("replica", replica).param("attempt", attempt)
			.query(String.class).optional();
	}

	/**
	 * Records how a run ended, fenced by this replica's lease. False means the lease was lost and the
	 * result must be discarded.
	 */
	public boolean complete(UUID id, String replica, int attempt, String status, Integer exitCode, String reason,
			String outputsJson) {
		return jdbc.sql("""
				UPDATE operation
				   SET status = :status, exit_code = :exitCode, outputs = CAST(:outputs AS jsonb),
				       -- a user's cancel reason says more than the engine's when the run was cancelled
				       reason = CASE WHEN :status = 'CANCELLED' AND reason IS NOT NULL THEN reason ELSE :reason END,
				       finished_at = now(), heartbeat_at = now()
				 WHERE id = :id AND claimed_by = :replica AND attempt = :attempt
				   AND status IN ('RUNNING', 'CANCELLING')
				""").param("id", id).param("replica", replica).param("attempt", attempt).param("status", status)
			.param("exitCode", exitCode).param("reason", reason).param("outputs", outputsJson)
			.update() == 1;
	}

	/**
	 * The reaper: active operations whose heartbeat is older than {@code staleAfter} lost their
	 * executor (a crashed or partitioned replica). Those submitted with {@code retry} and attempts
	 * left go back to the queue, keeping their place (their {@code created_at}); the rest fail, or
	 * end CANCELLED if a cancel was already requested. Re-queued work wakes the replicas. Any replica
	 * may run this at any time: the status guard makes a second reaper's update a no-op.
	 */
	public List<Reaped> reapStale(Duration staleAfter) {
		return jdbc.sql("""
				WITH stale AS (
				    SELECT id, status, retry AND attempt < max_attempts AND status = 'RUNNING' AS requeue
				      FROM operation
				     WHERE status IN ('RUNNING', 'CANCELLING')
				       AND heartbeat_at < now() - make_interval(secs => :staleSeconds)
				       FOR UPDATE SKIP LOCKED
				), reaped AS (
				    UPDATE operation o
				       SET status = CASE WHEN s.requeue THEN 'QUEUED'
				                         WHEN s.status = 'CANCELLING' THEN 'CANCELLED'
				                         ELSE 'FAILED' END,
				           reason = CASE WHEN s.requeue
				                         THEN 'executor lost: replica ' || o.claimed_by || ' stopped heartbeating during attempt '
				                              || o.attempt || ' of ' || o.max_attempts || '; re-queued'
				                         WHEN s.status = 'CANCELLING' THEN o.reason || ' (executor lost before it stopped)'
				                         ELSE 'executor lost: replica ' || o.claimed_by || ' stopped heartbeating (last at '
				                              || to_char(o.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')' END,
				           finished_at = CASE WHEN s.requeue THEN NULL ELSE now() END,
				           started_at = CASE WHEN s.requeue THEN NULL ELSE o.started_at END,
				           claimed_by = CASE WHEN s.requeue THEN NULL ELSE o.claimed_by END,
				           heartbeat_at = CASE WHEN s.requeue THEN NULL ELSE o.heartbeat_at END
				      FROM stale s
				     WHERE o.id = s.id
				 RETURNING o.id, o.status, o.engine, o.type
				)
				SELECT id, status, type, CASE WHEN status = 'QUEUED' THEN pg_notify('%s', engine) END AS notified
				  FROM reaped
				""".formatted(QUEUED_CHANNEL)).param("staleSeconds", staleAfter.toMillis() / 1000.0)
			.query((rs, n) -> new Reaped(rs.getObject("id", UUID.class), rs.getString("status"), rs.getString("type")))
			.list();
	}

	/** One operation the reaper moved, and where to. */
	public record Reaped(UUID id, String status, String type) {
	}

	/**
	 * Appends a batch of log lines and events in one transaction: one commit per batch, not per line.
	 * These mid-run batches commit without waiting for the WAL flush: a database crash may lose the
	 * last moments of a log, never a state change (the final batch goes with the completion, below).
	 */
	@Transactional
	public void appendOutput(UUID id, List<BufferedLine> lines, List<BufferedEvent> events) {
		jdbc.sql("SET LOCAL synchronous_commit TO OFF").update();
		appendLog(id, lines);
		appendEvents(id, events);
	}

	/**
	 * The end of a run in one durable commit: its last log lines and events, its fenced completion
	 * and, when {@code claimNext}, the claim of the next operation for the slot it frees. One commit
	 * per operation instead of two is what lets a replica keep up with short operations. The claim
	 * sits behind a savepoint, so losing a race for a target to another replica never undoes the
	 * completion.
	 */
	@Transactional
	public Completion completeAndClaimNext(OperationFinished finished, String replica, int attempt, Integer exitCode,
			String reason, String outputsJson, List<BufferedLine> lines, List<BufferedEvent> bufferedEvents,
			Collection<String> engines, boolean claimNext) {
		UUID id = finished.id();
		appendLog(id, lines);
		appendEvents(id, bufferedEvents);
		boolean written = complete(id, replica, attempt, finished.status(), exitCode, reason, outputsJson);
		if (written) {
			events.publishEvent(finished);
		}
		if (!claimNext) {
			return new Completion(written, Optional.empty());
		}
		jdbc.sql("SAVEPOINT claim_next").update();
		try {
			return new Completion(written, claim(replica, engines, 1).stream().findFirst());
		}
		catch (DuplicateKeyException ex) {
			jdbc.sql("ROLLBACK TO SAVEPOINT claim_next").update();
			return new Completion(written, Optional.empty());
		}
	}

	/** Whether a result was written (false: the lease was lost), and the operation claimed next, if any. */
	public record Completion(boolean written, Optional<ClaimedOperation> next) {
	}

	/**
	 * Appends log lines in one batch. {@code ON CONFLICT DO NOTHING}: a replica that lost its lease
	 * may still flush lines its successor already numbered; the successor's win.
	 */
	public void appendLog(UUID id, List<BufferedLine> lines) {
		if (lines.isEmpty()) {
			return;
		}
		template.batchUpdate("""
				INSERT INTO operation_log (operation_id, seq, at, stream, text) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING
				""", lines, lines.size(), (ps, line) -> {
			ps.setObject(1, id);
			ps.setLong(2, line.seq());
			ps.setTimestamp(3, Timestamp.from(line.at()));
			ps.setString(4, line.stream());
			ps.setString(5, line.text());
		});
	}

	/** Appends task events in one batch. */
	public void appendEvents(UUID id, List<BufferedEvent> events) {
		if (events.isEmpty()) {
			return;
		}
		template.batchUpdate("""
				INSERT INTO operation_event (operation_id, seq, at, task_index, task, role, host, status, changed,
				                             duration_ms, message)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING
				""", events, events.size(), (ps, e) -> {
			ps.setObject(1, id);
			ps.setLong(2, e.seq());
			ps.setTimestamp(3, Timestamp.from(e.at()));
			ps.setObject(4, e.event().taskIndex());
			ps.setString(5, e.event().task());
			ps.setString(6, e.event().role());
			ps.setString(7, e.event().host());
			ps.setString(8, e.event().status());
			ps.setBoolean(9, e.event().changed());
			ps.setObject(10, e.event().durationMs());
			ps.setString(11, e.event().message());
		});
	}

	/** Where a new attempt continues numbering: the last log and event sequence numbers so far. */
	public long[] lastSequences(UUID id) {
		return jdbc.sql("""
				SELECT (SELECT coalesce(max(seq), 0) FROM operation_log WHERE operation_id = :id),
				       (SELECT coalesce(max(seq), 0) FROM operation_event WHERE operation_id = :id),
				       (SELECT coalesce(sum(octet_length(text)), 0) FROM operation_log WHERE operation_id = :id)
				""").param("id", id).query((rs, n) -> new long[] { rs.getLong(1), rs.getLong(2), rs.getLong(3) }).single();
	}

	/** Operations waiting to be claimed, for the queue-depth gauge (served by the partial index). */
	public long queueDepth() {
		return jdbc.sql("SELECT count(*) FROM operation WHERE status = 'QUEUED'").query(Long.class).single();
	}

	/** A log line waiting to be written. */
	public record BufferedLine(long seq, Instant at, String stream, String text) {
	}

	/** A task event waiting to be written. */
	public record BufferedEvent(long seq, Instant at, hosting.aegir.backend.engine.EngineEvent event) {
	}

}
