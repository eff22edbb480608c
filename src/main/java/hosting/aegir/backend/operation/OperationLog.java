package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Reads and appends the numbered log lines of operations. */
@Repository
class OperationLog {

	private final JdbcClient jdbc;

	public OperationLog(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** Lines with {@code seq > after}, in order, at most {@code limit}. */
	public List<LogLine> after(UUID operationId, long after, int limit) {
		return jdbc.sql("""
				SELECT seq, at, stream, text FROM operation_log
				 WHERE operation_id = :id AND seq > :after
				 ORDER BY seq
				 LIMIT :limit
				""")
			.param("id", operationId)
			.param("after", after)
			.param("limit", limit)
			.query((rs, n) -> new LogLine(rs.getLong("seq"), rs.getObject("at", OffsetDateTime.class),
					rs.getString("stream"), rs.getString("text")))
			.list();
	}

}
