package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Reads the structured task events of operations, and summarises them per task. */
@Repository
class OperationEvents {

	private final JdbcClient jdbc;

	public OperationEvents(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/**
	 * At most {@code limit} events with a sequence number above {@code after}, in order.
	 */
	public List<TaskEvent> after(UUID operationId, long after, int limit) {
		return jdbc.sql("""
				SELECT seq, at, task_index, task, role, host, status, changed, duration_ms, message
				  FROM operation_event WHERE operation_id = :id AND seq > :after ORDER BY seq LIMIT :limit
				""")
			.param("id", operationId)
			.param("after", after)
			.param("limit", limit)
			.query((rs, n) -> new TaskEvent(rs.getLong("seq"), rs.getObject("at", OffsetDateTime.class),
					(Integer) rs.getObject("task_index"), rs.getString("task"), rs.getString("role"),
					rs.getString("host"), rs.getString("status"), rs.getBoolean("changed"),
					(Long) rs.getObject("duration_ms"), rs.getString("message")))
			.list();
	}

	/** Per task index: how many results, how many changed, whether any failed. */
	public List<TaskTally> tally(UUID operationId) {
		return jdbc.sql("""
				SELECT task_index,
				       count(*)                                             AS results,
				       count(*) FILTER (WHERE changed)                      AS changed,
				       bool_or(status IN ('failed', 'unreachable'))         AS failed
				  FROM operation_event
				 WHERE operation_id = :id AND task_index IS NOT NULL
				 GROUP BY task_index
				""")
			.param("id", operationId)
			.query((rs, n) -> new TaskTally(rs.getInt("task_index"), rs.getInt("results"), rs.getInt("changed"),
					rs.getBoolean("failed")))
			.list();
	}

	/** The events of one task, reduced to what its status needs. */
	public record TaskTally(int taskIndex, int results, int changed, boolean failed) {
	}

}
