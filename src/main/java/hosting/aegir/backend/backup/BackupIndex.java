package hosting.aegir.backend.backup;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import hosting.aegir.backend.operation.OperationFinished;
import hosting.aegir.backend.operation.OperationStatus;

import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Records the backups that finished operations report, failed ones too (an output
 * {@code backup_path}, with the optional {@code backup_size}, {@code backup_sha256},
 * {@code backup_description} and {@code backup_task}; any engine may report just the
 * path), and marks deleted the ones an operation reports in {@code deleted_backups}, in
 * the transaction that records the operation's end. Lists them per site, newest first, in
 * pages by id. All of the feature's SQL is here.
 */
@Repository
class BackupIndex {

	private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

	// Absolute, no control characters; and no '..' segment (DOT_DOT).
	private static final Pattern PLAIN_PATH = Pattern.compile("/[^\\x00-\\x1f\\x7f]*");

	private static final Pattern DOT_DOT = Pattern.compile("(^|/)\\.\\.(/|$)");

	private final JdbcClient jdbc;

	public BackupIndex(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	@EventListener
	public void record(OperationFinished finished) {
		// A dry run wrote and deleted nothing, whatever it reports.
		if (finished.check()) {
			return;
		}
		// Whatever the end: a failed update's "Before update" archive is the one a
		// restore needs. A failed operation's report counts only with its checksum (the
		// archive was written and measured), and only a plain absolute path is a backup.
		Object sha = finished.outputs().get("backup_sha256");
		boolean measured = sha instanceof String text && SHA256.matcher(text).matches();
		if (finished.outputs().get("backup_path") instanceof String path && PLAIN_PATH.matcher(path).matches()
				&& !DOT_DOT.matcher(path).find() && (measured || finished.status() == OperationStatus.SUCCEEDED)) {
			Object description = finished.outputs().get("backup_description");
			Long task = number(finished.outputs().get("backup_task"));
			jdbc.sql("""
					INSERT INTO backup (operation_id, target, path, size_bytes, sha256, description, task_index)
					VALUES (:id, :target, :path, :size, :sha, :description, :task)
					ON CONFLICT (operation_id, path) DO NOTHING
					""")
				.param("id", finished.id())
				.param("target", finished.target())
				.param("path", path)
				.param("size", number(finished.outputs().get("backup_size")))
				.param("sha", measured ? sha : null)
				.param("description",
						description instanceof String text ? text.substring(0, Math.min(text.length(), 200)) : null)
				.param("task", task != null && task >= 0 && task < 1000 ? task.intValue() : null)
				.update();
		}
		// Only this target's backups: an operation cannot mark another site's backups
		// deleted.
		if (finished.outputs().get("deleted_backups") instanceof List<?> deleted) {
			for (Object path : deleted) {
				if (path instanceof String text) {
					jdbc.sql("""
							UPDATE backup SET deleted_at = now()
							 WHERE target = :target AND path = :path AND deleted_at IS NULL
							""").param("target", finished.target()).param("path", text).update();
				}
			}
		}
	}

	// set_stats values arrive as text unless Ansible's native types are on; accept
	// either.
	private static Long number(Object value) {
		if (value instanceof Number number) {
			return number.longValue();
		}
		if (value instanceof String text && text.matches("\\d{1,18}")) {
			return Long.parseLong(text);
		}
		return null;
	}

	/**
	 * A page of the target's backups, newest first; {@code beforeId} continues after the
	 * last one seen.
	 */
	public List<Backup> of(String target, Long beforeId, int limit) {
		return jdbc.sql("""
				SELECT * FROM backup
				 WHERE target = :target AND (CAST(:before AS bigint) IS NULL OR id < :before)
				 ORDER BY id DESC LIMIT :limit
				""")
			.param("target", target)
			.param("before", beforeId)
			.param("limit", limit)
			.query(BackupIndex::backup)
			.list();
	}

	public List<Backup> of(String target, int limit) {
		return of(target, null, limit);
	}

	public Optional<Backup> find(long id) {
		return jdbc.sql("SELECT * FROM backup WHERE id = :id").param("id", id).query(BackupIndex::backup).optional();
	}

	private static Backup backup(ResultSet rs, int row) throws SQLException {
		return new Backup(rs.getLong("id"), rs.getString("path"), (Long) rs.getObject("size_bytes"),
				rs.getString("sha256"), rs.getString("description"), rs.getObject("created_at", OffsetDateTime.class),
				rs.getObject("operation_id", UUID.class), (Integer) rs.getObject("task_index"), rs.getString("target"),
				rs.getObject("deleted_at", OffsetDateTime.class));
	}

}
