package hosting.aegir.backend.backup;

import java.time.OffsetDateTime;
import java.util.List;

import hosting.aegir.backend.queue.OperationFinished;

import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Records the backups that successful operations report (an output {@code backup_path}, with an
 * optional {@code backup_size}), in the transaction that records the operation's end, and lists
 * them per site.
 */
@Repository
public class BackupIndex {

	private final JdbcClient jdbc;

	public BackupIndex(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	@EventListener
	public void record(OperationFinished finished) {
		if (!"SUCCEEDED".equals(finished.status()) || !(finished.outputs().get("backup_path") instanceof String path)
				|| path.isBlank()) {
			return;
		}
		jdbc.sql("""
				INSERT INTO backup (operation_id, target, path, size_bytes) VALUES (:id, :target, :path, :size)
				ON CONFLICT (operation_id, path) DO NOTHING
				""").param("id", finished.id()).param("target", finished.target()).param("path", path)
			.param("size", size(finished.outputs().get("backup_size"))).update();
	}

	// set_stats values arrive as text unless Ansible's native types are on; accept either.
	private static Long size(Object value) {
		if (value instanceof Number number) {
			return number.longValue();
		}
		if (value instanceof String text && text.matches("\\d{1,18}")) {
			return Long.parseLong(text);
		}
		return null;
	}

	public List<Backup> of(String target, int limit) {
		return jdbc.sql("""
				SELECT path, size_bytes, created_at, operation_id, target FROM backup
				 WHERE target = :target ORDER BY created_at DESC, id DESC LIMIT :limit
				""").param("target", target).param("limit", limit)
			.query((rs, n) -> new Backup(rs.getString("path"), (Long) rs.getObject("size_bytes"),
					rs.getObject("created_at", OffsetDateTime.class), rs.getObject("operation_id", java.util.UUID.class),
					rs.getString("target")))
			.list();
	}

}
