package hosting.aegir.backend.engine.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether the backup paths a Job reports in its termination message (written by the
 * tenant's image) lie in the directory where the Job saw its own environment's backups.
 * Checked as text: plain segments under the directory, no {@code .} or {@code ..}, no
 * empty segment, no control character or backslash.
 */
final class BackupPaths {

	private static final int MAX_SHOWN = 200;

	private BackupPaths() {
	}

	/**
	 * Why these outputs are refused, or null when every backup path they report
	 * ({@code backup_path}, {@code deleted_backups}) lies inside {@code directory} (null:
	 * the Job mounts no backups, so it may report none).
	 */
	static String refusal(Map<String, Object> outputs, String directory) {
		List<Object> paths = new ArrayList<>();
		if (outputs.containsKey("backup_path")) {
			paths.add(outputs.get("backup_path"));
		}
		if (outputs.get("deleted_backups") instanceof List<?> deleted) {
			paths.addAll(deleted);
		}
		else if (outputs.containsKey("deleted_backups")) {
			paths.add(outputs.get("deleted_backups"));
		}
		for (Object path : paths) {
			if (directory == null) {
				return "reported backup path " + shown(path) + " but mounts no backup directory";
			}
			if (!(path instanceof String text) || !inside(text, directory)) {
				return "reported backup path " + shown(path) + " outside its environment's backup directory "
						+ directory + "/";
			}
		}
		return null;
	}

	static boolean inside(String path, String directory) {
		String prefix = directory.endsWith("/") ? directory : directory + "/";
		if (!path.startsWith(prefix) || path.length() == prefix.length()) {
			return false;
		}
		for (String segment : path.substring(prefix.length()).split("/", -1)) {
			if (segment.isEmpty() || ".".equals(segment) || "..".equals(segment)
					|| segment.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\')) {
				return false;
			}
		}
		return true;
	}

	private static String shown(Object path) {
		String text = String.valueOf(path);
		text = text.length() > MAX_SHOWN ? text.substring(0, MAX_SHOWN) + "..." : text;
		return "'" + text.replaceAll("\\p{Cntrl}", "?") + "'";
	}

}
