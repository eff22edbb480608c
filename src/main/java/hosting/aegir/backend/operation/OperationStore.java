package hosting.aegir.backend.operation;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.operation.OperationEvents.TaskTally;

import org.springframework.context.annotation.Import;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Every statement on the {@code operation} table, in one place, and the run's log and
 * events that are written with it. PostgreSQL is the queue; the rules these statements
 * keep are:
 * <ul>
 * <li>Each transition is one statement named after its {@link OperationTransition} and
 * guarded by the status it expects; zero rows means another party (a user, another
 * replica, the reaper) moved first, and the caller re-reads.</li>
 * <li>Work done by an executor is fenced by {@code claimed_by} and {@code attempt}: a
 * replica that lost its lease (reaped while paused, say) can no longer write a
 * result.</li>
 * <li>Times are the database's ({@code now()}), never a JVM's, so replicas with skewed
 * clocks agree on what is stale.</li>
 * <li>No transaction is held while an engine runs: claim commits, the run happens,
 * completion is a new statement.</li>
 * <li>Lease upkeep (heartbeats, the reaper, hand-backs) goes through
 * {@link LeaseConnections}, a pool of its own, so API traffic never delays a heartbeat;
 * everything else uses the main pool.</li>
 * <li>Log lines and events are fenced like completions: a batch is written only while the
 * writer still holds the lease (it locks the operation row {@code FOR SHARE}, which waits
 * for a reaper's or another replica's update in progress and then sees its result).</li>
 * </ul>
 * The API's reads and inserts (the row as shown, with its task tallies and validator) are
 * here too: see {@link #insertQueued} and {@link #find}.
 */
@Component
@Import(LeaseConnections.class)
public class OperationStore {

	/** Channel on which replicas hear that work was queued (payload: the engine). */
	public static final String QUEUED_CHANNEL = "aegir_queued";

	/**
	 * Channel on which replicas hear of cancel requests for running operations (payload:
	 * the id).
	 */
	public static final String CANCEL_CHANNEL = "aegir_cancel";

	private final JdbcClient jdbc;

	private final JdbcTemplate template;

	private final JdbcClient lease;

	private final TransactionTemplate batches;

	private final TransactionTemplate completions;

	// A plain component, not a @Repository with @Transactional: JdbcTemplate already
	// throws Spring's DataAccessExceptions, and the proxy was a reflective call around
	// every statement. Log batches, the most frequent transaction, run on a JDBC
	// transaction manager of their own over the same pool: the application's JPA one
	// opened and closed a Hibernate session around each, though nothing in a batch goes
	// through JPA. Completions keep the application's manager, since they publish
	// OperationFinished, whose listeners may use JPA and must commit with the result.
	// Both bind the pool's connection as any Spring transaction does, so JdbcClient and
	// JdbcTemplate statements join them.
	OperationStore(JdbcClient jdbc, JdbcTemplate template, LeaseConnections lease,
			PlatformTransactionManager transactions) {
		this.jdbc = jdbc;
		this.template = template;
		this.lease = lease.jdbc();
		this.batches = new TransactionTemplate(new JdbcTransactionManager(template.getDataSource()));
		this.completions = new TransactionTemplate(transactions);
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

	/**
	 * {@link OperationTransition#CLAIM}. Claims up to {@code limit} queued operations for
	 * this replica, oldest first, and marks them RUNNING in the same statement, which
	 * also returns where each one's stored log and events end (an operation run before,
	 * re-queued or handed back, continues its numbering): the run starts with no read of
	 * its own, one round trip fewer per operation, and a launch has no database step left
	 * to fail. For a first run these are three probes of empty index ranges. A re-run
	 * sums its stored log's bytes (its byte budget) inside the claim, while holding the
	 * claimed row: tens of milliseconds for a log at a 16 MB cap, on the rare path of a
	 * retry or hand-back. The sums see the statement's snapshot: they would be stale only
	 * if, within this one statement, another replica claimed the row, wrote to its log
	 * and had it re-queued, which takes a reaping (a heartbeat seconds old) or a shutdown
	 * in between.
	 * <p>
	 * {@code FOR UPDATE SKIP LOCKED} lets replicas claim side by side without waiting on
	 * each other's rows. An operation is only eligible when its target has nothing active
	 * (so a busy site does not block the queue behind it: it is skipped, not waited on)
	 * and nothing older still queued (so a site's operations start in the order they were
	 * submitted, and one claim never takes two operations of one target). Should two
	 * replicas still race on one target, the partial unique index
	 * {@code operation_one_active_per_target} refuses the second; the caller treats that
	 * as "nothing claimed" and tries again.
	 * <p>
	 * Every lookup is served by a partial index over queued or active rows only, so the
	 * cost does not grow with the history of finished operations. A queue whose oldest
	 * entries are all blocked (many operations waiting behind busy sites) is the other
	 * trap: a scan in submission order would step over every one of them on every claim.
	 * So the claim runs in two steps:
	 * <ol>
	 * <li>{@link #CLAIM_IN_WINDOW}: the oldest {@value #WINDOW} queued operations, in
	 * order. This is the whole story while the head of the queue can run;</li>
	 * <li>only if that found fewer than {@code limit}, {@link #CLAIM_SITE_HEADS}: each
	 * target's oldest queued operation (a loose index scan over
	 * {@code operation_queued_target_idx}, one index descent per queued target, however
	 * many operations wait behind each), oldest first, skipping busy targets. Its cost
	 * follows the number of distinct queued targets, not of queued rows.</li>
	 * </ol>
	 */
	public List<ClaimedOperation> claim(String replica, Collection<String> engines, int limit) {
		if (limit <= 0 || engines.isEmpty()) {
			return List.of();
		}
		List<ClaimedOperation> claimed = claimWith(CLAIM_IN_WINDOW, replica, engines, limit);
		if (claimed.size() >= limit) {
			return claimed;
		}
		List<ClaimedOperation> more = claimWith(CLAIM_SITE_HEADS, replica, engines, limit - claimed.size());
		if (claimed.isEmpty()) {
			return more;
		}
		List<ClaimedOperation> all = new java.util.ArrayList<>(claimed);
		all.addAll(more);
		return all;
	}

	static final int WINDOW = 64;

	private static final String CLAIM_UPDATE = """
			UPDATE operation o
			   SET status = 'RUNNING', claimed_by = :replica, attempt = o.attempt + 1,
			       started_at = now(), heartbeat_at = now(), reason = NULL
			 WHERE o.id IN (%s)
			RETURNING o.id, o.type, o.engine, o.target, o.hosts, o.vars::text AS vars, o.tasks::text AS tasks,
			          o.secret_vars::text AS secret_vars, o.timeout_seconds, o.attempt, o.max_attempts, o.retry,
			          o.started_at, o.check_mode, o.verbosity,
			          (SELECT coalesce(max(seq), 0) FROM operation_log WHERE operation_id = o.id) AS last_log_seq,
			          (SELECT coalesce(max(seq), 0) FROM operation_event WHERE operation_id = o.id) AS last_event_seq,
			          (SELECT coalesce(sum(octet_length(text)), 0) FROM operation_log WHERE operation_id = o.id)
			              AS log_bytes
			""";

	/** Step 1: eligible operations among the oldest {@value #WINDOW} queued ones. */
	public static final String CLAIM_IN_WINDOW = CLAIM_UPDATE.formatted("""
			SELECT q.id
			  FROM operation q
			 WHERE q.id IN (SELECT w.id FROM operation w WHERE w.status = 'QUEUED' AND w.engine IN (:engines)
			                 ORDER BY w.created_at, w.id LIMIT %d)
			   AND q.status = 'QUEUED'
			   AND NOT EXISTS (SELECT 1 FROM operation a
			                    WHERE a.target = q.target AND a.status IN ('RUNNING', 'CANCELLING'))
			   AND NOT EXISTS (SELECT 1 FROM operation b
			                    WHERE b.target = q.target AND b.status = 'QUEUED'
			                      AND (b.created_at, b.id) < (q.created_at, q.id))
			 ORDER BY q.created_at, q.id
			 LIMIT :limit
			   FOR UPDATE SKIP LOCKED""".formatted(WINDOW));

	/**
	 * Step 2: the oldest queued operation of each target (the recursive part walks the
	 * distinct targets of the queued-by-target index, one descent each), oldest first,
	 * where the target is not busy.
	 */
	public static final String CLAIM_SITE_HEADS = CLAIM_UPDATE.formatted("""
			WITH RECURSIVE head AS (
			    (SELECT h.target, h.id FROM operation h WHERE h.status = 'QUEUED'
			      ORDER BY h.target, h.created_at, h.id LIMIT 1)
			    UNION ALL
			    SELECT n.target, n.id
			      FROM head p
			     CROSS JOIN LATERAL (SELECT x.target, x.id FROM operation x
			                          WHERE x.status = 'QUEUED' AND x.target > p.target
			                          ORDER BY x.target, x.created_at, x.id LIMIT 1) n
			)
			SELECT q.id
			  FROM head
			  JOIN operation q ON q.id = head.id
			 WHERE q.status = 'QUEUED'
			   AND q.engine IN (:engines)
			   AND NOT EXISTS (SELECT 1 FROM operation a
			                    WHERE a.target = q.target AND a.status IN ('RUNNING', 'CANCELLING'))
			 ORDER BY q.created_at, q.id
			 LIMIT :limit
			   FOR UPDATE OF q SKIP LOCKED""");

	private List<ClaimedOperation> claimWith(String statement, String replica, Collection<String> engines, int limit) {
		return jdbc.sql(statement)
			.param("replica", replica)
			.param("engines", engines)
			.param("limit", limit)
			.query((rs, n) -> new ClaimedOperation(rs.getObject("id", UUID.class), rs.getString("type"),
					rs.getString("engine"), rs.getString("target"), rs.getString("hosts"), rs.getString("vars"),
					rs.getString("tasks"), rs.getString("secret_vars"), rs.getInt("timeout_seconds"),
					rs.getInt("attempt"), rs.getInt("max_attempts"), rs.getBoolean("retry"),
					rs.getTimestamp("started_at").toInstant(), rs.getBoolean("check_mode"), rs.getInt("verbosity"),
					new ClaimedOperation.StoredOutput(rs.getLong("last_log_seq"), rs.getLong("last_event_seq"),
							rs.getLong("log_bytes"))))
			.list();
	}

	/**
	 * Refreshes the heartbeat of one running operation of this replica and reads its
	 * status back: empty when the lease is lost (reaped, or re-claimed as a later
	 * attempt), CANCELLING when a cancel was requested, whether or not its NOTIFY
	 * arrived.
	 */
	public Optional<OperationStatus> heartbeat(UUID id, String replica, int attempt) {
		return lease.sql("""
				UPDATE operation SET heartbeat_at = now()
				 WHERE id = :id AND claimed_by = :replica AND attempt = :attempt
				   AND status IN ('RUNNING', 'CANCELLING')
				RETURNING status
				""")
			.param("id", id)
			.param("replica", replica)
			.param("attempt", attempt)
			.query(String.class)
			.optional()
			.map(OperationStatus::valueOf);
	}

	/**
	 * {@link OperationTransition#COMPLETE}. Records how a run ended, fenced by this
	 * replica's lease. False means the lease was lost and the result must be discarded.
	 */
	public boolean complete(UUID id, String replica, int attempt, OperationStatus status, Integer exitCode,
			String reason, String outputsJson) {
		return completeWithOutput(id, replica, attempt, status, exitCode, reason, outputsJson, List.of(), List.of());
	}

	/**
	 * {@link OperationTransition#REAP}: the reaper, in one statement. An active operation
	 * is reaped when
	 * <ul>
	 * <li>its heartbeat is older than {@code staleAfter}: its executor is lost (a crashed
	 * or partitioned replica). Those submitted with {@code retry} and attempts left go
	 * back to the queue, keeping their place (their {@code created_at}); the rest fail,
	 * or end CANCELLED if a cancel was already requested;</li>
	 * <li>or it is past its database-side deadline,
	 * {@code started_at + timeout + deadlineGrace}: its replica keeps heartbeating but
	 * never finishes. It ends TIMED_OUT (CANCELLED if cancelling) and is never re-queued;
	 * the owner's next heartbeat finds the lease gone and stops the local run.</li>
	 * </ul>
	 * Nothing is reaped while the database itself started less than {@code staleAfter}
	 * ago: after a restart every heartbeat is old, and the live replicas need that long
	 * to write a new one (the caller keeps the same rule for its own connection: see
	 * LeaseKeeper). Re-queued work wakes the replicas. Any replica may run this at any
	 * time: the status guard and {@code SKIP LOCKED} make a second reaper's update a
	 * no-op.
	 */
	public List<Reaped> reap(Duration staleAfter, Duration deadlineGrace) {
		return lease
			.sql("""
					WITH stale AS (
					    SELECT id, status,
					           heartbeat_at < now() - make_interval(secs => :staleSeconds) AS lost,
					           retry AND attempt < max_attempts AND status = 'RUNNING' AS may_retry
					      FROM operation
					     WHERE status IN ('RUNNING', 'CANCELLING')
					       AND pg_postmaster_start_time() < now() - make_interval(secs => :staleSeconds)
					       AND (heartbeat_at < now() - make_interval(secs => :staleSeconds)
					            OR started_at + make_interval(secs => timeout_seconds + :graceSeconds) < now())
					       FOR UPDATE SKIP LOCKED
					), reaped AS (
					    UPDATE operation o
					       SET status = CASE WHEN s.lost AND s.may_retry THEN 'QUEUED'
					                         WHEN s.status = 'CANCELLING' THEN 'CANCELLED'
					                         WHEN s.lost THEN 'FAILED'
					                         ELSE 'TIMED_OUT' END,
					           reason = CASE WHEN s.lost AND s.may_retry
					                         THEN 'executor lost: replica ' || o.claimed_by || ' stopped heartbeating during attempt '
					                              || o.attempt || ' of ' || o.max_attempts || '; re-queued'
					                         WHEN s.status = 'CANCELLING' AND s.lost THEN o.reason || ' (executor lost before it stopped)'
					                         WHEN s.status = 'CANCELLING' THEN o.reason || ' (the run did not stop before its deadline)'
					                         WHEN s.lost THEN 'executor lost: replica ' || o.claimed_by || ' stopped heartbeating (last at '
					                              || to_char(o.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
					                         ELSE 'deadline passed: replica ' || o.claimed_by || ' kept the lease but the run did not end within '
					                              || o.timeout_seconds || ' s and a grace of ' || :graceSeconds || ' s' END,
					           finished_at = CASE WHEN s.lost AND s.may_retry THEN NULL ELSE now() END,
					           started_at = CASE WHEN s.lost AND s.may_retry THEN NULL ELSE o.started_at END,
					           claimed_by = CASE WHEN s.lost AND s.may_retry THEN NULL ELSE o.claimed_by END,
					           heartbeat_at = CASE WHEN s.lost AND s.may_retry THEN NULL ELSE o.heartbeat_at END
					      FROM stale s
					     WHERE o.id = s.id
					 RETURNING o.id, o.status, o.engine, o.type
					)
					SELECT id, status, type, CASE WHEN status = 'QUEUED' THEN pg_notify('%s', engine) END AS notified
					  FROM reaped
					"""
				.formatted(QUEUED_CHANNEL))
			.param("staleSeconds", staleAfter.toMillis() / 1000.0)
			.param("graceSeconds", (int) deadlineGrace.toSeconds())
			.query((rs, n) -> new Reaped(rs.getObject("id", UUID.class),
					OperationStatus.valueOf(rs.getString("status")), rs.getString("type")))
			.list();
	}

	/**
	 * {@link OperationTransition#HAND_BACK}. Gives a claimed operation back, fenced by
	 * our lease: {@code RUNNING → QUEUED} with the claim's attempt undone (this attempt
	 * does not count), or {@code CANCELLING → CANCELLED} when a cancel was requested
	 * meanwhile. For a claim that could not be launched and, on shutdown, for work
	 * submitted with {@code retry} that outlived the grace. Returns the new status; empty
	 * if the lease was already lost. Through the lease pool: it must work while the main
	 * pool is drained.
	 */
	public Optional<OperationStatus> handBack(UUID id, String replica, int attempt, String reason) {
		return lease.sql("""
				WITH handed AS (
				    UPDATE operation
				       SET status = CASE WHEN status = 'CANCELLING' THEN 'CANCELLED' ELSE 'QUEUED' END,
				           attempt = CASE WHEN status = 'CANCELLING' THEN attempt ELSE attempt - 1 END,
				           reason = CASE WHEN status = 'CANCELLING' THEN reason ELSE :reason END,
				           finished_at = CASE WHEN status = 'CANCELLING' THEN now() END,
				           started_at = CASE WHEN status = 'CANCELLING' THEN started_at END,
				           claimed_by = CASE WHEN status = 'CANCELLING' THEN claimed_by END,
				           heartbeat_at = CASE WHEN status = 'CANCELLING' THEN heartbeat_at END
				     WHERE id = :id AND claimed_by = :replica AND attempt = :attempt
				       AND status IN ('RUNNING', 'CANCELLING')
				 RETURNING status, engine
				)
				SELECT status, CASE WHEN status = 'QUEUED' THEN pg_notify('%s', engine) END AS notified FROM handed
				""".formatted(QUEUED_CHANNEL))
			.param("id", id)
			.param("replica", replica)
			.param("attempt", attempt)
			.param("reason", reason)
			.query((rs, n) -> OperationStatus.valueOf(rs.getString("status")))
			.optional();
	}

	/** Answers if the database does, through the lease pool: the lease keeper's probe. */
	public void ping() {
		lease.sql("SELECT 1").query(Integer.class).single();
	}

	/** One operation the reaper moved, and where to. */
	public record Reaped(UUID id, OperationStatus status, String type) {
	}

	/**
	 * Appends a batch of log lines and events in one transaction: one commit per batch,
	 * not per line. These mid-run batches commit without waiting for the WAL flush: a
	 * database crash may lose the last moments of a log, never a state change (the final
	 * batch goes with the completion, below).
	 */
	public boolean appendOutput(UUID id, String replica, int attempt, List<BufferedLine> lines,
			List<BufferedEvent> events) {
		return Boolean.TRUE
			.equals(batches.execute(tx -> appendOutputInTransaction(id, replica, attempt, lines, events)));
	}

	private boolean appendOutputInTransaction(UUID id, String replica, int attempt, List<BufferedLine> lines,
			List<BufferedEvent> events) {
		// The fence: FOR SHARE waits for a reaper's or a new claim's update in progress
		// and then sees
		// its result, and keeps the lease from changing hands until this batch commits.
		// The same round
		// trip turns synchronous commit off for this transaction (set_config(..., true)
		// is SET LOCAL).
		boolean ours = !jdbc.sql("""
				SELECT set_config('synchronous_commit', 'off', true) FROM operation
				 WHERE id = :id AND claimed_by = :replica AND attempt = :attempt
				   AND status IN ('RUNNING', 'CANCELLING')
				   FOR SHARE
				""").param("id", id).param("replica", replica).param("attempt", attempt).query().listOfRows().isEmpty();
		if (!ours) {
			return false;
		}
		copyLog(id, lines);
		appendEvents(id, events);
		return true;
	}

	/**
	 * A mid-run batch of log lines by {@code COPY} (see {@link LogCopy}), in the caller's
	 * fenced transaction; should a line's number be stored already, the batch is written
	 * by {@link #appendLog}'s upsert instead.
	 */
	private void copyLog(UUID id, List<BufferedLine> lines) {
		if (lines.isEmpty()) {
			return;
		}
		boolean copied = template
			.execute((ConnectionCallback<Boolean>) connection -> LogCopy.copy(connection, id, lines));
		if (!copied) {
			appendLog(id, lines);
		}
	}

	/**
	 * The end of a run in one durable commit: its last log lines and events, its fenced
	 * completion and, when {@code claimNext}, the claim of the next operation for the
	 * slot it frees. One commit per operation instead of two is what lets a replica keep
	 * up with short operations. The claim sits behind a savepoint, so losing a race for a
	 * target to another replica never undoes the completion. {@code whenWritten} runs in
	 * the same transaction once the completion is written (the runner publishes
	 * {@link OperationFinished} there, so its listeners commit or roll back with it).
	 */
	public Completion completeAndClaimNext(OperationFinished finished, String replica, int attempt, Integer exitCode,
			String reason, String outputsJson, List<BufferedLine> lines, List<BufferedEvent> bufferedEvents,
			Collection<String> engines, boolean claimNext, Runnable whenWritten) {
		return completions.execute(tx -> completeAndClaimNextInTransaction(finished, replica, attempt, exitCode, reason,
				outputsJson, lines, bufferedEvents, engines, claimNext, whenWritten));
	}

	private Completion completeAndClaimNextInTransaction(OperationFinished finished, String replica, int attempt,
			Integer exitCode, String reason, String outputsJson, List<BufferedLine> lines,
			List<BufferedEvent> bufferedEvents, Collection<String> engines, boolean claimNext, Runnable whenWritten) {
		UUID id = finished.id();
		// The fenced completion first: its row lock holds the lease for the rest of this
		// transaction,
		// and a stale attempt's last lines are not written at all.
		boolean written = completeWithOutput(id, replica, attempt, finished.status(), exitCode, reason, outputsJson,
				lines, bufferedEvents);
		if (written) {
			whenWritten.run();
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

	/**
	 * {@link #complete} and the run's last log lines and events in one statement (one
	 * round trip where there were three). The inserts join the fenced update's row: when
	 * the lease is lost the update returns nothing and neither the lines nor the events
	 * are written, as before.
	 */
	private boolean completeWithOutput(UUID id, String replica, int attempt, OperationStatus status, Integer exitCode,
			String reason, String outputsJson, List<BufferedLine> lines, List<BufferedEvent> events) {
		if (!OperationTransition.COMPLETE.to(OperationStatus.RUNNING).contains(status)) {
			throw new IllegalArgumentException("a run cannot complete as " + status);
		}
		// One statement whatever there is to add: with no lines or events the inserts add
		// no rows.
		return template.query("""
				WITH done AS (
				    UPDATE operation
				       SET status = ?, exit_code = ?, outputs = CAST(? AS jsonb),
				           -- a user's cancel reason says more than the engine's when the run was cancelled
				           reason = CASE WHEN ? = 'CANCELLED' AND reason IS NOT NULL THEN reason ELSE ? END,
				           finished_at = now(), heartbeat_at = now()
				     WHERE id = ? AND claimed_by = ? AND attempt = ?
				       AND status IN ('RUNNING', 'CANCELLING')
				 RETURNING id
				), logged AS (
				    INSERT INTO operation_log (operation_id, seq, at, stream, text)
				    SELECT done.id, %s CROSS JOIN done
				    %s
				), evented AS (
				    INSERT INTO operation_event %s
				    SELECT done.id, %s CROSS JOIN done
				    %s
				)
				SELECT count(*) FROM done
				""".formatted(LOG_ROWS.strip(), LOG_CONFLICT.strip(), EVENT_COLUMNS, EVENT_ROWS.strip(),
				EVENT_CONFLICT.strip()), ps -> {
					ps.setString(1, status.name());
					if (exitCode == null) {
						ps.setNull(2, Types.INTEGER);
					}
					else {
						ps.setInt(2, exitCode);
					}
					ps.setString(3, outputsJson);
					ps.setString(4, status.name());
					ps.setString(5, reason);
					ps.setObject(6, id);
					ps.setString(7, replica);
					ps.setInt(8, attempt);
					setEventArrays(ps, setLogArrays(ps, 9, lines), events);
				}, rs -> {
					rs.next();
					return rs.getLong(1) == 1;
				});
	}

	/**
	 * Whether a result was written (false: the lease was lost), and the operation claimed
	 * next, if any.
	 */
	public record Completion(boolean written, Optional<ClaimedOperation> next) {
	}

	/**
	 * Appends log lines in one batch; callers have checked the lease in the same
	 * transaction. A line already stored under the same number can only come from an
	 * earlier attempt (a stale one is refused by the fence), so the current attempt's
	 * line replaces it.
	 */
	public void appendLog(UUID id, List<BufferedLine> lines) {
		if (lines.isEmpty()) {
			return;
		}
		template.update(
				"INSERT INTO operation_log (operation_id, seq, at, stream, text) SELECT ?, " + LOG_ROWS + LOG_CONFLICT,
				ps -> {
					ps.setObject(1, id);
					setLogArrays(ps, 2, lines);
				});
	}

	/**
	 * The rows of a batch of log lines, from five array parameters (sequence numbers,
	 * times as microseconds since the epoch, streams, texts). One statement for the whole
	 * batch: the server parses, plans and runs one INSERT, where a JDBC batch still runs
	 * one INSERT per line. Times go as a plain bigint[] the driver sends without
	 * formatting a timestamp per line.
	 */
	private static final String LOG_ROWS = """
			l.seq, timestamptz 'epoch' + l.micros * interval '1 microsecond', l.stream, l.text
			  FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS l(seq, micros, stream, text)
			""";

	private static final String LOG_CONFLICT = """
			ON CONFLICT (operation_id, seq) DO UPDATE SET at = excluded.at, stream = excluded.stream, text = excluded.text
			""";

	/**
	 * Like {@link #LOG_ROWS}, for task events: every column an array (text where it may
	 * be null, cast here).
	 */
	private static final String EVENT_ROWS = """
			e.seq, timestamptz 'epoch' + e.micros * interval '1 microsecond', e.task_index::integer, e.task, e.role,
			       e.host, e.status, e.changed::boolean, e.duration_ms::bigint, e.message
			  FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			              ?::text[], ?::text[])
			    AS e(seq, micros, task_index, task, role, host, status, changed, duration_ms, message)
			""";

	private static final String EVENT_CONFLICT = """
			ON CONFLICT (operation_id, seq) DO UPDATE
			   SET at = excluded.at, task_index = excluded.task_index, task = excluded.task, role = excluded.role,
			       host = excluded.host, status = excluded.status, changed = excluded.changed,
			       duration_ms = excluded.duration_ms, message = excluded.message
			""";

	private static final String EVENT_COLUMNS = "(operation_id, seq, at, task_index, task, role, host, status, changed, duration_ms, message)";

	private static long micros(Instant at) {
		return at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000;
	}

	// Sets the four arrays of LOG_ROWS from parameter index; returns the next index.
	private static int setLogArrays(PreparedStatement ps, int index, List<BufferedLine> lines) throws SQLException {
		int n = lines.size();
		long[] seqs = new long[n];
		long[] micros = new long[n];
		String[] streams = new String[n];
		String[] texts = new String[n];
		for (int i = 0; i < n; i++) {
			BufferedLine line = lines.get(i);
			seqs[i] = line.seq();
			micros[i] = micros(line.at());
			streams[i] = line.stream();
			texts[i] = line.text();
		}
		Connection connection = ps.getConnection();
		ps.setArray(index, connection.createArrayOf("bigint", box(seqs)));
		ps.setArray(index + 1, connection.createArrayOf("bigint", box(micros)));
		ps.setArray(index + 2, connection.createArrayOf("text", streams));
		ps.setArray(index + 3, connection.createArrayOf("text", texts));
		return index + 4;
	}

	// Sets the ten arrays of EVENT_ROWS from parameter index; returns the next index.
	private static int setEventArrays(PreparedStatement ps, int index, List<BufferedEvent> events) throws SQLException {
		int n = events.size();
		Long[] seqs = new Long[n];
		Long[] micros = new Long[n];
		String[][] text = new String[8][n];
		for (int i = 0; i < n; i++) {
			BufferedEvent e = events.get(i);
			seqs[i] = e.seq();
			micros[i] = micros(e.at());
			EngineEvent event = e.event();
			text[0][i] = event.taskIndex() == null ? null : event.taskIndex().toString();
			text[1][i] = event.task();
			text[2][i] = event.role();
			text[3][i] = event.host();
			text[4][i] = event.status();
			text[5][i] = Boolean.toString(event.changed());
			text[6][i] = event.durationMs() == null ? null : event.durationMs().toString();
			text[7][i] = event.message();
		}
		Connection connection = ps.getConnection();
		ps.setArray(index, connection.createArrayOf("bigint", seqs));
		ps.setArray(index + 1, connection.createArrayOf("bigint", micros));
		for (int c = 0; c < text.length; c++) {
			ps.setArray(index + 2 + c, connection.createArrayOf("text", text[c]));
		}
		return index + 2 + text.length;
	}

	private static Long[] box(long[] values) {
		Long[] boxed = new Long[values.length];
		for (int i = 0; i < values.length; i++) {
			boxed[i] = values[i];
		}
		return boxed;
	}

	/** Appends task events in one statement, like {@link #appendLog}. */
	public void appendEvents(UUID id, List<BufferedEvent> events) {
		if (events.isEmpty()) {
			return;
		}
		template.update("INSERT INTO operation_event " + EVENT_COLUMNS + " SELECT ?, " + EVENT_ROWS + EVENT_CONFLICT,
				ps -> {
					ps.setObject(1, id);
					setEventArrays(ps, 2, events);
				});
	}

	/**
	 * Operations waiting to be claimed, for the queue-depth gauge (served by the partial
	 * index).
	 */
	public long queueDepth() {
		return jdbc.sql("SELECT count(*) FROM operation WHERE status = 'QUEUED'").query(Long.class).single();
	}

	/** A log line waiting to be written. */
	public record BufferedLine(long seq, Instant at, String stream, String text) {
	}

	/** A task event waiting to be written. */
	public record BufferedEvent(long seq, Instant at, hosting.aegir.backend.engine.EngineEvent event) {
	}

	// The API's side of the row: inserts and reads as the API shows them. The validator
	// (ETag) is computed by the database from the stored row without heartbeat_at, the
	// task tallies and the webhook delivery: everything a view is built from, so it
	// changes whenever anything shown changes, and it needs no JSON work in the JVM.
	// Every column, including ones added later, is covered by to_jsonb, except the
	// immutable ones that carry secret values (see ETAG). The variant (who reads) is
	// part of it, because a viewer's view masks secret outputs a submitter's shows.

	/**
	 * The caller's role as the validator counts it: each sees a different rendering of
	 * secret outputs.
	 */
	enum Variant {

		SUBMITTER, VIEWER

	}

	// Per task index: results, changed, failed; one text value so the read stays one row.
	private static final String TALLIES = """
			LEFT JOIN LATERAL (
			       SELECT string_agg(task_index || ':' || results || ':' || changed || ':' || failed::int, ','
			                         ORDER BY task_index) AS tallies
			         FROM (SELECT task_index, count(*) AS results, count(*) FILTER (WHERE changed) AS changed,
			                      bool_or(status IN ('failed', 'unreachable')) AS failed
			                 FROM operation_event e
			                WHERE e.operation_id = o.id AND e.task_index IS NOT NULL
			                GROUP BY task_index) g) t ON true
			""";

	// The same expression over a row named o and tallies named t, for the insert, the
	// read and the 304 check. The columns that hold or derive from secret values (vars,
	// tasks, request_hash, secret_vars, idempotency_key) are left out: they never change
	// after the insert, so they add nothing to change detection, and an unsalted md5 over
	// them handed to a viewer would let the viewer test guesses of a secret offline.
	private static final String ETAG = """
			'W/"' || md5(:variant || (to_jsonb(o) - 'heartbeat_at' - 'vars' - 'tasks' - 'request_hash'
			    - 'secret_vars' - 'idempotency_key')::text || '|' || coalesce(t.tallies, '') || '|'
			    || coalesce((SELECT to_jsonb(w)::text FROM webhook_delivery w
			                  WHERE o.callback_url IS NOT NULL AND w.operation_id = o.id), '')) || '"'
			""";

	// The same, with the variant as the first positional parameter: the reads below are
	// built once with positional parameters, so a poll does not rewrite named parameters
	// (a new SQL string and statement factory per call) on the API's hottest path.
	private static final String ETAG_POSITIONAL = ETAG.replace(":variant", "?");

	private static final String ETAG_ONLY = "SELECT " + ETAG_POSITIONAL + " FROM operation o " + TALLIES
			+ " WHERE o.id = ?";

	// Positional, like the reads: the parameters in the order of the columns, then the
	// validator's variant.
	private static final String INSERT_QUEUED = """
			WITH o AS (
			  INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, outputs, secret_vars,
			                         idempotency_key, callback_url, request_hash, timeout_seconds, retry, max_attempts,
			                         check_mode, verbosity)
			  VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, 'QUEUED', '{}'::jsonb,
			          ?::jsonb, ?, ?, ?, ?, ?, ?,
			          ?, ?)
			  RETURNING *),
			t AS (SELECT NULL::text AS tallies)
			SELECT o.created_at, %s AS etag FROM o, t
			""".formatted(ETAG_POSITIONAL);

	private static final String READ = """
			SELECT o.id, o.type, o.engine, o.target, o.hosts, o.vars::text AS vars, o.tasks::text AS tasks, o.status,
			       o.exit_code, o.reason, o.outputs::text AS outputs, o.secret_vars::text AS secret_vars,
			       o.request_hash, o.timeout_seconds, o.retry, o.max_attempts, o.attempt, o.claimed_by, o.heartbeat_at,
			       o.created_at, o.started_at, o.finished_at, o.callback_url, o.check_mode, o.verbosity, t.tallies,
			       %s AS etag
			  FROM operation o
			%s
			 WHERE %%s
			""".formatted(ETAG_POSITIONAL, TALLIES);

	private static final String READ_BY_ID = READ.formatted("o.id = ?");

	private static final String READ_BY_KEY = READ.formatted("o.idempotency_key = ?");

	/** What the database assigned to a new row: its creation time and its validator. */
	record Inserted(OffsetDateTime createdAt, String etag) {
	}

	/**
	 * Inserts a queued operation in one autocommitted statement: when this returns, the
	 * row is durable. The queue's wake-up is not part of it (see
	 * {@link OperationService#submit}).
	 */
	Inserted insertQueued(UUID id, NewOperation spec, String varsJson, String tasksJson, String secretVarsJson,
			String requestHash) {
		return jdbc.sql(INSERT_QUEUED)
			.param(id)
			.param(spec.type())
			.param(spec.engine())
			.param(spec.target())
			.param(spec.hosts())
			.param(varsJson)
			.param(tasksJson)
			.param(secretVarsJson)
			.param(spec.idempotencyKey())
			.param(spec.callbackUrl())
			.param(requestHash)
			.param(spec.timeoutSeconds())
			.param(spec.retry())
			.param(spec.maxAttempts())
			.param(spec.check())
			.param(spec.verbosity())
			.param(Variant.SUBMITTER.name())
			.query((rs, n) -> new Inserted(rs.getObject("created_at", OffsetDateTime.class), rs.getString("etag")))
			.single();
	}

	/**
	 * The stored operation with its task tallies and its validator for {@code variant}.
	 */
	Optional<Stored> find(UUID id, Variant variant) {
		return read(READ_BY_ID, id, variant);
	}

	/** The operation created under an idempotency key, if any. */
	Optional<Stored> findByIdempotencyKey(String key) {
		return read(READ_BY_KEY, key, Variant.SUBMITTER);
	}

	/**
	 * Only the validator: what a conditional poll compares before anything else is read.
	 */
	Optional<String> etag(UUID id, Variant variant) {
		return jdbc.sql(ETAG_ONLY).param(variant.name()).param(id).query(String.class).optional();
	}

	private Optional<Stored> read(String sql, Object key, Variant variant) {
		return jdbc.sql(sql)
			.param(variant.name())
			.param(key)
			.query((rs, n) -> new Stored(rs.getObject("id", UUID.class), rs.getString("type"), rs.getString("engine"),
					rs.getString("target"), rs.getString("hosts"), rs.getString("vars"), rs.getString("tasks"),
					OperationStatus.valueOf(rs.getString("status")), (Integer) rs.getObject("exit_code"),
					rs.getString("reason"), rs.getString("outputs"), rs.getString("secret_vars"),
					rs.getString("request_hash"), rs.getInt("timeout_seconds"), rs.getBoolean("retry"),
					rs.getInt("max_attempts"), rs.getInt("attempt"), rs.getString("claimed_by"),
					rs.getObject("heartbeat_at", OffsetDateTime.class),
					rs.getObject("created_at", OffsetDateTime.class), rs.getObject("started_at", OffsetDateTime.class),
					rs.getObject("finished_at", OffsetDateTime.class), rs.getString("callback_url"),
					rs.getBoolean("check_mode"), rs.getInt("verbosity"), tallies(rs.getString("tallies")),
					rs.getString("etag")))
			.optional();
	}

	private static Map<Integer, TaskTally> tallies(String text) {
		Map<Integer, TaskTally> tallies = new HashMap<>();
		if (text != null) {
			for (String part : text.split(",")) {
				String[] f = part.split(":");
				int index = Integer.parseInt(f[0]);
				tallies.put(index,
						new TaskTally(index, Integer.parseInt(f[1]), Integer.parseInt(f[2]), "1".equals(f[3])));
			}
		}
		return tallies;
	}

	/**
	 * A stored operation: its columns (JSON ones as text), its task tallies by index and
	 * its validator.
	 */
	record Stored(UUID id, String type, String engine, String target, String hosts, String vars, String tasks,
			OperationStatus status, Integer exitCode, String reason, String outputs, String secretVars,
			String requestHash, int timeoutSeconds, boolean retry, int maxAttempts, int attempt, String claimedBy,
			OffsetDateTime heartbeatAt, OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
			String callbackUrl, boolean check, int verbosity, Map<Integer, TaskTally> tallies, String etag) {
	}

	/** The operation's status alone; empty if there is no such operation. */
	Optional<OperationStatus> status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?")
			.param(id)
			.query(String.class)
			.optional()
			.map(OperationStatus::valueOf);
	}

	/**
	 * The statuses of those of {@code ids} that exist, in one statement (the streams'
	 * poll); joins the caller's transaction, so a snapshot it holds covers it.
	 */
	public Map<UUID, OperationStatus> statuses(Collection<UUID> ids) {
		Map<UUID, OperationStatus> statuses = new HashMap<>();
		template.query(con -> {
			PreparedStatement ps = con.prepareStatement("SELECT id, status FROM operation WHERE id = ANY (?)");
			ps.setArray(1, con.createArrayOf("uuid", ids.toArray()));
			return ps;
		}, rs -> {
			statuses.put(rs.getObject("id", UUID.class), OperationStatus.valueOf(rs.getString("status")));
		});
		return statuses;
	}

	/**
	 * Summaries for the list, newest first: those matching the filters given (null: any)
	 * below the cursor {@code (beforeCreatedAt, beforeId)} if given, at most
	 * {@code limit}.
	 */
	List<OperationSummary> summaries(OperationStatus status, String target, String type, OffsetDateTime beforeCreatedAt,
			UUID beforeId, int limit) {
		StringBuilder sql = new StringBuilder("""
				SELECT id, type, engine, target, status, exit_code, reason, created_at, started_at, finished_at
				  FROM operation WHERE true""");
		var params = new java.util.LinkedHashMap<String, Object>();
		if (status != null) {
			sql.append(" AND status = :status");
			params.put("status", status.name());
		}
		if (target != null) {
			sql.append(" AND target = :target");
			params.put("target", target);
		}
		if (type != null) {
			sql.append(" AND type = :type");
			params.put("type", type);
		}
		if (beforeCreatedAt != null) {
			sql.append(" AND (created_at, id) < (:at, :id)");
			params.put("at", beforeCreatedAt);
			params.put("id", beforeId);
		}
		sql.append(" ORDER BY created_at DESC, id DESC LIMIT :limit");
		params.put("limit", limit);
		return jdbc.sql(sql.toString())
			.params(params)
			.query((rs, n) -> new OperationSummary(rs.getObject("id", UUID.class), rs.getString("type"),
					rs.getString("engine"), rs.getString("target"), OperationStatus.valueOf(rs.getString("status")),
					(Integer) rs.getObject("exit_code"), rs.getString("reason"),
					rs.getObject("created_at", OffsetDateTime.class), rs.getObject("started_at", OffsetDateTime.class),
					rs.getObject("finished_at", OffsetDateTime.class)))
			.list();
	}

}
