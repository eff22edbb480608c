package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.DRUSH_USER;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.commandsWith;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.marker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The site runner ({@code ansible/roles/aegir_site_runner/files/site-run}) on its own, as
 * root starts it on a host: what it refuses, that the command runs as drush_user with its
 * arguments as given, that the site's lock keeps a second command back until the first
 * and what it left are gone, and that the command dies with the runner (a local
 * connection's run killed by the service). The SSH path:
 * {@link SshSiteRunnerEndToEndTest}.
 */
class SiteRunnerTest {

	private static final Path RUNNER = Path.of("ansible/roles/aegir_site_runner/files/site-run").toAbsolutePath();

	@TempDir
	Path dir;

	Path locks;

	Path records;

	@BeforeEach
	void setUp() throws IOException {
		locks = dir.resolve("locks");
		records = Files.createDirectory(dir.resolve("records"));
		Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
		Files.setPosixFilePermissions(records, PosixFilePermissions.fromString("rwxrwxrwx"));
	}

	@Test
	void theCommandRunsAsTheDrushUserWithItsArgumentsAsGivenAndItsStatusPassedOn() throws Exception {
		Result result = run(List.of("--user", DRUSH_USER, "--site", "example.org"), "sh", "-c",
				"id -u; id -G; printf '%s\\n' \"$@\"; exit 7", "x", "$(id)", "a b;rm -rf /");

		assertThat(result.exit()).isEqualTo(7);
		List<String> lines = result.stdout().lines().toList();
		assertThat(lines.get(0)).isNotEqualTo("0").isEqualTo(uid(DRUSH_USER));
		assertThat(lines.get(1).split(" ")).doesNotContain("0");
		assertThat(lines.subList(2, lines.size())).containsExactly("$(id)", "a b;rm -rf /");
		assertThat(Files.getPosixFilePermissions(locks)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
		assertThat(Files.getOwner(locks).getName()).isEqualTo("root");
		assertThat(locks.resolve("example.org.lock")).isRegularFile();
	}

	@Test
	void rootAndSitesThatCouldLeaveTheLockDirectoryAreRefusedBeforeAnythingRuns() throws Exception {
		Path ran = records.resolve("ran");
		for (List<String> args : List.of(List.of("--user", "root", "--site", "example.org"),
				List.of("--user", "no-such-user-here", "--site", "example.org"),
				List.of("--user", DRUSH_USER, "--site", "../../etc/cron.d/x"),
				List.of("--user", DRUSH_USER, "--site", "a/b"), List.of("--user", DRUSH_USER, "--site", ".hidden"),
				List.of("--user", DRUSH_USER, "--site", "a..b"), List.of("--user", DRUSH_USER, "--site", "x\n"),
				List.of("--user", DRUSH_USER, "--site", "x".repeat(251)))) {
			Result result = run(args, "touch", ran.toString());
			assertThat(result.exit()).as(args + ": " + result.stderr()).isEqualTo(125);
			assertThat(ran).as(args.toString()).doesNotExist();
		}
	}

	@Test
	void theSudoerTheConnectionBecameRootFromIsRefusedAsDrushUser() throws Exception {
		// ansible's become through sudo sets SUDO_USER and SUDO_UID: that user can become
		// root again, so the sites' PHP must never run as it.
		Path ran = records.resolve("ran");
		List<String> argv = new ArrayList<>(List.of(RUNNER.toString(), "--lock-dir", locks.toString(), "--user",
				DRUSH_USER, "--site", "example.org", "--", "touch", ran.toString()));
		for (Map<String, String> sudo : List.of(Map.of("SUDO_USER", DRUSH_USER), Map.of("SUDO_UID", uid(DRUSH_USER)))) {
			ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
			builder.environment().putAll(sudo);
			Process process = builder.start();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
			assertThat(process.exitValue()).as(sudo + ": " + output).isEqualTo(125);
			assertThat(output).contains("the user this connection became root from");
		}
		assertThat(ran).doesNotExist();
	}

	@Test
	void aLockDirectoryOrLockFileATenantCouldTouchIsRefused() throws Exception {
		Path ran = records.resolve("ran");
		UserPrincipal tenant = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(DRUSH_USER);

		// The tenant owns the directory: it could replace the lock file.
		Files.createDirectory(locks,
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		Files.setOwner(locks, tenant);
		assertThat(run(List.of("--user", DRUSH_USER, "--site", "example.org"), "touch", ran.toString()).exit())
			.isEqualTo(125);

		// Root's, but others may enter it.
		Files.setOwner(locks, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
		Files.setPosixFilePermissions(locks, PosixFilePermissions.fromString("rwxr-xr-x"));
		assertThat(run(List.of("--user", DRUSH_USER, "--site", "example.org"), "touch", ran.toString()).exit())
			.isEqualTo(125);

		// A lock file that is a link (made while the directory was open) is not followed.
		Files.setPosixFilePermissions(locks, PosixFilePermissions.fromString("rwx------"));
		Path target = dir.resolve("link-target");
		Files.createSymbolicLink(locks.resolve("example.org.lock"), target);
		Result linked = run(List.of("--user", DRUSH_USER, "--site", "example.org"), "touch", ran.toString());
		assertThat(linked.exit()).as(linked.stderr()).isEqualTo(125);
		assertThat(target).doesNotExist();

		// A lock file the tenant owns.
		Files.delete(locks.resolve("example.org.lock"));
		Files.setOwner(Files.createFile(locks.resolve("example.org.lock")), tenant);
		assertThat(run(List.of("--user", DRUSH_USER, "--site", "example.org"), "touch", ran.toString()).exit())
			.isEqualTo(125);
		assertThat(ran).doesNotExist();
	}

	@Test
	void aLockDirectoryInADirectoryATenantCouldChangeIsRefused() throws Exception {
		// The tenant could rename the directory, with the lock a running operation holds,
		// aside: the next operation would create a fresh one and run beside the first.
		Path ran = records.resolve("ran");
		Path parent = Files.createDirectory(dir.resolve("tenants"));
		Files.setOwner(parent, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(DRUSH_USER));
		List<String> argv = new ArrayList<>(List.of(RUNNER.toString(), "--lock-dir", parent.resolve("locks").toString(),
				"--user", DRUSH_USER, "--site", "example.org", "--", "touch", ran.toString()));
		Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

		assertThat(process.exitValue()).as(output).isEqualTo(125);
		assertThat(output).contains("which someone other than root may change");
		assertThat(parent.resolve("locks")).doesNotExist();
		assertThat(ran).doesNotExist();
	}

	@Test
	void aSecondCommandOnTheSiteStartsOnlyOnceTheFirstAndTheDaemonItLeftAreGone() throws Exception {
		String first = marker();
		Path record = records.resolve("record");
		// The first leaves a daemon (its own session, ignoring TERM) and ends after 2 s.
		Process firstRun = start(List.of("--user", DRUSH_USER, "--site", "lock.example.org"), "sh", "-c",
				"setsid sh -c 'trap \"\" TERM; while :; do sleep 1; done' \"$0\" </dev/null >/dev/null 2>&1 &"
						+ " sleep 2; echo \"first end $(date +%s%N)\" >> \"$1\"",
				first, record.toString());
		await("the first command and its daemon run").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(first).size() == 2);

		// Another spelling of the same site.
		Path firstMarker = Files.writeString(records.resolve("first-marker"), first);
		Result second = run(List.of("--user", DRUSH_USER, "--site", "LOCK.example.org"), "sh", "-c",
				"n=$(pgrep -c -u \"$(id -un)\" -f -- \"$(cat \"$2\")\"); echo \"second start $(date +%s%N) first-alive=$n\" >> \"$1\"",
				"second", record.toString(), firstMarker.toString());

		assertThat(second.exit()).isZero();
		assertThat(firstRun.waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(second.stderr()).contains("waiting for the lock of LOCK.example.org");
		List<String> lines = Files.readAllLines(record);
		assertThat(lines).hasSize(2);
		assertThat(lines.get(0)).startsWith("first end ");
		assertThat(lines.get(1)).startsWith("second start ").endsWith(" first-alive=0");
		assertThat(commandsWith(first)).isEmpty();
	}

	@Test
	void killingTheRunnerEndsTheCommandAndItsDaemonEvenWhenTheyIgnoreTerm() throws Exception {
		String marker = marker();
		// As the service runs ansible-playbook: the leader of a process group of its own,
		// which cancel kills whole.
		List<String> command = new ArrayList<>(List.of("setsid", RUNNER.toString(), "--lock-dir", locks.toString(),
				"--grace", "1", "--user", DRUSH_USER, "--site", "kill.example.org", "--", "sh", "-c",
				"trap '' TERM; setsid sh -c 'trap \"\" TERM; while :; do sleep 1; done' \"$0\" </dev/null >/dev/null 2>&1 &"
						+ " while :; do sleep 1; done",
				marker));
		Process runner = new ProcessBuilder(command).start();
		await("the command and its daemon run").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(marker).size() == 2);

		new ProcessBuilder("kill", "-KILL", "--", "-" + runner.pid()).start().waitFor();
		long killedAt = System.nanoTime();
		await("the command and its daemon are gone").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(marker).isEmpty());
		System.out.printf("the command was gone %d ms after its runner's SIGKILL%n",
				(System.nanoTime() - killedAt) / 1_000_000);
	}

	@Test
	void anSshConnectionOfOpenSsh98IsWatchedThroughItsSshdSessionProcess() throws Exception {
		// From OpenSSH 9.8 on a connection's processes are "sshd-session" and "sshd" is
		// only
		// the listener. A shell named sshd-session stands for the connection: its end
		// must
		// end the command, although the runner itself lives on.
		Path session = Files.copy(Path.of("/bin/sh"), dir.resolve("sshd-session"));
		Files.setPosixFilePermissions(session, PosixFilePermissions.fromString("rwxr-xr-x"));
		String marker = marker();
		Process connection = new ProcessBuilder(session.toString(), "-c", "\"$@\"; exit $?", "sshd-session",
				RUNNER.toString(), "--lock-dir", locks.toString(), "--grace", "1", "--user", DRUSH_USER, "--site",
				"session.example.org", "--", "sh", "-c", "trap '' TERM; while :; do sleep 1; done", marker)
			.start();
		await("the command runs").atMost(Duration.ofSeconds(10)).until(() -> commandsWith(marker).size() == 1);

		new ProcessBuilder("kill", "-KILL", String.valueOf(connection.pid())).start().waitFor();
		await("the command is gone with its connection").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(marker).isEmpty());
	}

	private record Result(int exit, String stdout, String stderr) {
	}

	private Process start(List<String> options, String... command) throws IOException {
		List<String> argv = new ArrayList<>(List.of(RUNNER.toString(), "--lock-dir", locks.toString()));
		argv.addAll(options);
		argv.add("--");
		argv.addAll(List.of(command));
		return new ProcessBuilder(argv).redirectErrorStream(false).start();
	}

	private Result run(List<String> options, String... command) throws Exception {
		Process process = start(options, command);
		process.getOutputStream().close();
		var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
		String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
		return new Result(process.exitValue(), stdout, stderr.get());
	}

	private static String read(java.io.InputStream stream) {
		try {
			return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private static String uid(String user) throws Exception {
		Process id = new ProcessBuilder("id", "-u", user).start();
		String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
		id.waitFor();
		return uid;
	}

}
