package hosting.aegir.backend.stream;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.LogLine;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
import hosting.aegir.backend.operation.TaskEvent;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The reads behind the streams, each for many operations at once: a replica's stream hub
 * asks for the news of every operation it streams in one round of three statements,
 * whatever the number of subscribers. Each operation comes with the position after which
 * to read ({@code unnest} of two parallel arrays) and a cap on rows, so a long log is
 * read in slices. Served by the primary keys (operation_id, seq) of the log and event
 * tables.
 */
@Repository
class StreamSql {

	private final JdbcTemplate jdbc;

	private final OperationStore operations;

	StreamSql(JdbcTemplate jdbc, OperationStore operations) {
		this.jdbc = jdbc;
		this.operations = operations;
	}

	/** Where to read from, per operation. */
	record From(UUID operationId, long afterLog, long afterEvent) {
	}

	/** A log line of an operation. */
	record Line(UUID operationId, LogLine line) {
	}

	/** A task event of an operation. */
	record Event(UUID operationId, TaskEvent event) {
	}

	Map<UUID, OperationStatus> statuses(Collection<UUID> ids) {
		return operations.statuses(ids);
	}

	List<Line> lines(List<From> from, int limitEach) {
		return jdbc.query(con -> {
			PreparedStatement ps = con.prepareStatement("""
					SELECT s.id, l.seq, l.at, l.stream, l.text
					  FROM unnest(?::uuid[], ?::bigint[]) AS s (id, after)
					 CROSS JOIN LATERAL (SELECT seq, at, stream, text FROM operation_log
					                      WHERE operation_id = s.id AND seq > s.after
					                      ORDER BY seq LIMIT ?) l
					 ORDER BY s.id, l.seq
					""");
			ps.setArray(1, uuids(con, from.stream().map(From::operationId).toList()));
			ps.setArray(2, longs(con, from.stream().map(From::afterLog).toList()));
			ps.setInt(3, limitEach);
			return ps;
		}, (rs, n) -> new Line(rs.getObject("id", UUID.class), new LogLine(rs.getLong("seq"),
				rs.getObject("at", OffsetDateTime.class), rs.getString("stream"), rs.getString("text"))));
	}

	List<Event> events(List<From> from, int limitEach) {
		return jdbc.query(con -> {
			PreparedStatement ps = con.prepareStatement("""
					SELECT s.id, e.seq, e.at, e.task_index, e.task, e.role, e.host, e.status, e.changed, e.duration_ms,
					       e.message
					  FROM unnest(?::uuid[], ?::bigint[]) AS s (id, after)
					 CROSS JOIN LATERAL (SELECT * FROM operation_event
					                      WHERE operation_id = s.id AND seq > s.after
					                      ORDER BY seq LIMIT ?) e
					 ORDER BY s.id, e.seq
					""");
			ps.setArray(1, uuids(con, from.stream().map(From::operationId).toList()));
			ps.setArray(2, longs(con, from.stream().map(From::afterEvent).toList()));
			ps.setInt(3, limitEach);
			return ps;
		}, (rs, n) -> new Event(rs.getObject("id", UUID.class),
				new TaskEvent(rs.getLong("seq"), rs.getObject("at", OffsetDateTime.class),
						(Integer) rs.getObject("task_index"), rs.getString("task"), rs.getString("role"),
						rs.getString("host"), rs.getString("status"), rs.getBoolean("changed"),
						(Long) rs.getObject("duration_ms"), rs.getString("message"))));
	}

	/**
	 * The last log and event sequence numbers of an operation: where a stream that has
	 * everything stands.
	 */
	Cursor end(UUID id) {
		return jdbc.queryForObject("""
				SELECT (SELECT coalesce(max(seq), 0) FROM operation_log WHERE operation_id = ?),
				       (SELECT coalesce(max(seq), 0) FROM operation_event WHERE operation_id = ?)
				""", (rs, n) -> new Cursor(rs.getLong(1), rs.getLong(2)), id, id);
	}

	/**
	 * Tells the triggers (V13) that hub {@code hub} streams these operations until
	 * {@code ttl} from now: their changes notify until then.
	 */
	void watch(UUID hub, Collection<UUID> ids, Duration ttl) {
		jdbc.update(con -> {
			PreparedStatement ps = con.prepareStatement("""
					INSERT INTO stream_watch (operation_id, hub, expires_at)
					SELECT DISTINCT id, ?::uuid, now() + make_interval(secs => ?) FROM unnest(?::uuid[]) AS w (id)
					    ON CONFLICT (operation_id, hub) DO UPDATE SET expires_at = excluded.expires_at
					""");
			ps.setObject(1, hub);
			ps.setDouble(2, seconds(ttl));
			ps.setArray(3, uuids(con, List.copyOf(ids)));
			return ps;
		});
	}

	/**
	 * Like {@link #watch}, and drops the hub's other operations, except those watched
	 * less than {@code spare} ago (their streams may be registering right now). The
	 * delete and the upsert touch disjoint rows, so one statement does both.
	 */
	void watchOnly(UUID hub, Collection<UUID> ids, Duration ttl, Duration spare) {
		jdbc.update(con -> {
			PreparedStatement ps = con.prepareStatement("""
					WITH ids AS (SELECT DISTINCT id FROM unnest(?::uuid[]) AS w (id)),
					closed AS (
					    DELETE FROM stream_watch s
					     WHERE s.hub = ? AND s.expires_at < now() + make_interval(secs => ?)
					       AND NOT EXISTS (SELECT 1 FROM ids WHERE ids.id = s.operation_id)
					)
					INSERT INTO stream_watch (operation_id, hub, expires_at)
					SELECT id, ?, now() + make_interval(secs => ?) FROM ids
					    ON CONFLICT (operation_id, hub) DO UPDATE SET expires_at = excluded.expires_at
					""");
			ps.setArray(1, uuids(con, List.copyOf(ids)));
			ps.setObject(2, hub);
			ps.setDouble(3, seconds(ttl.minus(spare)));
			ps.setObject(4, hub);
			ps.setDouble(5, seconds(ttl));
			return ps;
		});
	}

	/**
	 * Forgets interest that lapsed a while ago, any hub's (a replica that died leaves its
	 * rows). Rows another hub is renewing or deleting right now are skipped, so this
	 * never waits on a hub.
	 */
	void forgetLapsedWatches() {
		jdbc.update("""
				DELETE FROM stream_watch
				 WHERE ctid IN (SELECT ctid FROM stream_watch WHERE expires_at < now() - interval '1 minute'
				                   FOR UPDATE SKIP LOCKED)
				""");
	}

	private static double seconds(Duration duration) {
		return duration.toMillis() / 1000.0;
	}

	private static Array uuids(Connection con, List<UUID> ids) throws SQLException {
		return con.createArrayOf("uuid", ids.toArray());
	}

	private static Array longs(Connection con, List<Long> values) throws SQLException {
		return con.createArrayOf("int8", values.toArray());
	}

}
