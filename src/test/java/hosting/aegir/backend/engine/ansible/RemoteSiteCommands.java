package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.Sshd;
import hosting.aegir.backend.support.Submission;

import static hosting.aegir.backend.support.Submission.aSubmission;

/**
 * What the SSH tests share: an operator inventory with a host reached through a test
 * {@link Sshd}, the {@code aegir.TestSiteCommand} submissions (a long command run by the
 * real site runner) and the look-up of those commands in {@code /proc} by their marker.
 */
final class RemoteSiteCommands {

	static final String DRUSH_USER = "aegir-drush";

	private RemoteSiteCommands() {
	}

	/**
	 * An inventory whose host {@code remote} is the given sshd, with a runner path and a
	 * lock directory of its own under {@code scratch}.
	 */
	static OperatorInventory inventory(Sshd sshd, Path scratch) {
		return OperatorInventory.create()
			.host("remote", sshd.hostVars())
			.set("drush_user", DRUSH_USER)
			.set("aegir_site_runner_grace", 2)
			.set("aegir_site_runner_path", scratch.resolve("bin/site-run").toString())
			.set("site_lock_dir", scratch.resolve("site-locks").toString());
	}

	/** A root-owned directory with {@code records/} in it, where drush_user writes. */
	static Path scratch() {
		try {
			Path dir = Files.createTempDirectory("aegir-ssh-test-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			Files.setPosixFilePermissions(Files.createDirectory(dir.resolve("records")),
					PosixFilePermissions.fromString("rwxrwxrwx"));
			return dir;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	static Submission siteCommand(String site, String marker, Path record, int seconds, Path otherMarkerFile,
			boolean daemon) {
		return aSubmission().target("site-" + UUID.randomUUID())
			.hosts("remote")
			.vars(Map.of("site_uri", site))
			.task("aegir.TestSiteCommand", Map.of("marker", marker, "record", record.toString(), "seconds", seconds,
					"other_marker_file", otherMarkerFile == null ? "" : otherMarkerFile.toString(), "daemon", daemon));
	}

	static String marker() {
		return "aegir-remote-" + UUID.randomUUID();
	}

	/**
	 * The command itself (drush_user's {@code sh -c <script> <marker> ...}, and the
	 * daemon it may leave), not the root runner whose argument list also holds the
	 * marker. Read from /proc: Java's command line starts with the executable's path, not
	 * argv[0].
	 */
	static List<ProcessHandle> commandsWith(String marker) {
		return ProcessHandle.allProcesses().filter(p -> {
			List<String> argv = argv(p);
			return argv.size() > 3 && argv.get(0).equals("sh") && argv.get(1).equals("-c")
					&& argv.get(3).equals(marker);
		}).filter(p -> !p.info().user().orElse("root").equals("root")).toList();
	}

	/** Whether a site runner for the marker's command is alive (waiting or running). */
	static boolean runnerFor(String marker) {
		return ProcessHandle.allProcesses().anyMatch(p -> {
			List<String> argv = argv(p);
			return argv.stream().anyMatch(a -> a.endsWith("/site-run")) && argv.contains(marker);
		});
	}

	/** A process's argv as /proc has it (what it set with setproctitle, too). */
	static List<String> argv(ProcessHandle process) {
		try {
			String cmdline = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
			return cmdline.isEmpty() ? List.of() : List.of(cmdline.split("\u0000"));
		}
		catch (IOException | RuntimeException ex) {
			return List.of();
		}
	}

	/** ansible/ as it is, except roles: the real site runner and the test's role. */
	static Path ansibleDirectory() {
		try {
			Path real = Path.of("ansible").toAbsolutePath();
			Path ansible = Files.createTempDirectory("aegir-ssh-ansible-");
			Files.copy(real.resolve("ansible.cfg"), ansible.resolve("ansible.cfg"));
			Files.createSymbolicLink(ansible.resolve("callback_plugins"), real.resolve("callback_plugins"));
			Files.createSymbolicLink(ansible.resolve("inventory"), real.resolve("inventory"));
			Path roles = Files.createDirectory(ansible.resolve("roles"));
			Files.createSymbolicLink(roles.resolve("aegir_site_runner"), real.resolve("roles/aegir_site_runner"));
			Files.createSymbolicLink(roles.resolve("aegir.TestSiteCommand"),
					Path.of("src/test/resources/ansible-faults/roles/aegir.TestSiteCommand").toAbsolutePath());
			return ansible;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
