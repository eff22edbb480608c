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
 * Starts child processes as leaders of their own process group ({@code setsid}) and ends
 * a whole group: SIGTERM, then SIGKILL after a grace period. Ansible forks workers, and
 * modules start commands of their own; killing only the direct child would leave them
 * running.
 * <p>
 * A run must also never outlive its replica. The group's leader is a small {@code sh}
 * launcher (see {@link #LAUNCHER}) whose standard input is a pipe from this JVM: when the
 * JVM dies, however it dies (even {@code kill -9}), the kernel closes the pipe, the
 * launcher's watcher reads end-of-file and ends the whole group, SIGTERM then SIGKILL.
 * {@code PR_SET_PDEATHSIG} (util-linux's {@code setpriv --pdeathsig}) was not used: it
 * reaches only the direct child, not ansible's workers, and it fires when the forking
 * <em>thread</em> ends, not the JVM.
 */
@Component
class ProcessGroups {

	private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);

	private static final Path SETSID = Path.of("/usr/bin/setsid");

	/**
	 * Runs "$@" in the background and waits for it, passing its exit status on. A watcher
	 * reads standard input (the JVM's pipe, kept on fd 3 because a background list's own
	 * standard input is /dev/null) until end-of-file, which means the JVM is gone, then
	 * signals the whole group ({@code kill 0}): TERM, and KILL after the grace ($1
	 * seconds). The watcher ignores TERM itself so it lives to send the KILL; its output
	 * goes nowhere, so it never holds the JVM's readers open. After a normal end the
	 * watcher alone is killed: a playbook may have started a daemon on purpose.
	 */
	static final String LAUNCHER = """
			grace=$1; shift
			exec 3<&0
			"$@" </dev/null 3<&- &
			child=$!
			( trap '' TERM; while read -r _; do :; done; kill -TERM 0; sleep "$grace"; kill -KILL 0 ) <&3 >/dev/null 2>&1 &
			watcher=$!
			exec 3<&-
			wait "$child"
			rc=$?
			kill -KILL "$watcher" 2>/dev/null
			exit "$rc"
			""";

	/**
	 * The prefix that makes a command the leader of a new session and process group,
	 * ended with it should this JVM die; {@code killGrace} is the time between its
	 * SIGTERM and SIGKILL then. Without {@code setsid} the command runs in the JVM's own
	 * group and neither applies.
	 */
	public List<String> ownGroupPrefix(java.time.Duration killGrace) {
		if (!Files.isExecutable(SETSID)) {
			log.warn("{} not found: ansible-playbook runs in the service's process group and may outlive it", SETSID);
			return List.of();
		}
		return List.of(SETSID.toString(), "sh", "-c", LAUNCHER, "aegir-run",
				Long.toString(Math.max(1, killGrace.toSeconds())));
	}

	/**
	 * Signals the process's group (its pid is the group id, see
	 * {@link #ownGroupPrefix()}) and every descendant still known; returns at once,
	 * escalating to SIGKILL after {@code grace}.
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

	// Reads the process group from /proc/<pid>/stat (field 5), where a process's group is
	// recorded.
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
