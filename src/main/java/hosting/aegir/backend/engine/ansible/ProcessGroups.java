package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * Starts child processes as leaders of their own process group ({@code setsid}) and ends a whole
 * group: SIGTERM, then SIGKILL after a grace period. Ansible forks workers, and modules start
 * commands of their own; killing only the direct child would leave them running.
 */
@Component
public class ProcessGroups {

	private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);

	private static final Path SETSID = Path.of("/usr/bin/setsid");

	/** The prefix that makes a command the leader of a new session and process group. */
	public List<String> ownGroupPrefix() {
		return Files.isExecutable(SETSID) ? List.of(SETSID.toString()) : List.of();
	}

	/**
	 * Signals the process's group (its pid is the group id, see {@link #ownGroupPrefix()}) and every
	 * descendant still known; returns at once, escalating to SIGKILL after {@code grace}.
	 */
	public void killGroup(Process process, Duration grace) {
		long pgid = process.pid();
		List<ProcessHandle> descendants = process.descendants().toList();
		if (!process.isAlive() && descendants.isEmpty() && !groupAlive(pgid)) {
			return;
		}
		signal("TERM", pgid);
		descendants.forEach(ProcessHandle::destroy);
		process.destroy();
		CompletableFuture.delayedExecutor(grace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
			if (process.isAlive() || groupAlive(pgid)) {
				signal("KILL", pgid);
			}
			descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
			process.destroyForcibly();
		});
	}

	private static boolean groupAlive(long pgid) {
		return ProcessHandle.allProcesses().anyMatch(p -> p.pid() == pgid || isInGroup(p.pid(), pgid));
	}

	// Reads the process group from /proc/<pid>/stat (field 5), where a process's group is recorded.
	private static boolean isInGroup(long pid, long pgid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			return Long.parseLong(fields[2]) == pgid;
		}
		catch (IOException | RuntimeException ex) {
			return false;
		}
	}

	private static void signal(String signal, long pgid) {
		try {
			new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start()
				.waitFor(5, TimeUnit.SECONDS);
		}
		catch (IOException ex) {
			log.warn("Could not signal process group {}: {}", pgid, ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
