package hosting.aegir.backend.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * The local MariaDB (127.0.0.1:3306, root, no password) that the drush stand-in works on:
 * started if it is not running, and queried with the {@code mysql} client.
 */
public final class MariaDb {

	private MariaDb() {
	}

	/** Starts mariadbd when nothing listens on 3306, and waits until it answers. */
	public static void ensureRunning() {
		if (!listening()) {
			run(List.of("start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"),
					null);
		}
		await("MariaDB answers on 127.0.0.1:3306").atMost(Duration.ofSeconds(60)).until(MariaDb::answers);
	}

	/**
	 * Runs SQL (as root) in the database, or in none when it is null; returns the output,
	 * one row a line.
	 */
	public static String sql(String database, String sql) {
		List<String> command = new ArrayList<>(List.of("mysql", "-h", "127.0.0.1", "-P", "3306", "-u", "root",
				"--batch", "--skip-column-names", "-e", sql));
		if (database != null) {
			command.add(database);
		}
		return run(command, null);
	}

	private static boolean listening() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", 3306), 1000);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static boolean answers() {
		try {
			return sql(null, "SELECT 1").strip().equals("1");
		}
		catch (IllegalStateException ex) {
			return false;
		}
	}

	private static String run(List<String> command, String input) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			process.getOutputStream().close();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (process.waitFor() != 0) {
				throw new IllegalStateException(command.get(0) + " failed: " + output);
			}
			return output;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
