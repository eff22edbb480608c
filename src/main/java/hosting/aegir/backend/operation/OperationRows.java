package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationEvents.TaskTally;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The operation row as the API reads and writes it, in plain SQL: a submission is one
 * autocommitted statement, a read is one query (the row, its task tallies and its
 * validator), and a conditional poll reads only the validator.
 *
 * <p>
 * The validator (ETag) is computed by the database from the stored row without
 * {@code heartbeat_at}, the task tallies and the webhook delivery: everything a view is
 * built from, so it changes whenever anything shown changes, and it needs no JSON work in
 * the JVM. Every column, including ones added later, is covered by {@code to_jsonb},
 * except the immutable ones that carry secret values (see {@link #ETAG}). The variant
 * (who reads) is part of it, because a viewer's view masks secret outputs a submitter's
 * shows.
 */
@Component
class OperationRows {

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

	// A plain component, not a @Repository: JdbcClient already throws Spring's
	// DataAccessExceptions, and the exception-translation proxy a @Repository gets was a
	// reflective call around every read for nothing.
	private final JdbcClient jdbc;

	OperationRows(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

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

}
