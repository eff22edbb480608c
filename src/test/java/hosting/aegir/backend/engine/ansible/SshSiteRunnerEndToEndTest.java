package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.Sshd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.OperationAssert.assertThatOperation;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.DRUSH_USER;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.ansibleDirectory;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.argv;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.commandsWith;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.inventory;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.marker;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.runnerFor;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.scratch;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.siteCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Operations over a real SSH connection: Debian's sshd on 127.0.0.1, a key made for the
 * run, host key checking on against the operator's known-hosts file, the login user
 * becoming root through sudo, and the site's commands run by the real
 * {@code aegir_site_runner} as {@code drush_user}. A cancelled or timed-out operation's
 * remote command is gone from the host within 10 s, and a second operation on the same
 * site (another target naming the same site_uri, so the service's per-target order does
 * not keep them apart) starts its command only once the first's is dead.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = { "aegir.ansible.enabled=true",
		"aegir.executor.concurrency=2", "aegir.executor.heartbeat-interval=500ms", "aegir.log.flush-interval=100ms" })
class SshSiteRunnerEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(120);

	static final Sshd SSHD = Sshd.start();

	// The runner and the lock directory are this test's own: nothing else on the machine
	// shares them.
	static final Path SCRATCH = scratch();

	static final OperatorInventory OPERATOR = inventory(SSHD, SCRATCH).host("multiplexed", multiplexed());

	// The same server, with the inventory asking for ansible's default multiplexing: a
	// ControlPersist master would leave the run's process group and keep the connection,
	// and so the remote command, alive after a cancel.
	private static Map<String, Object> multiplexed() {
		Map<String, Object> vars = new java.util.LinkedHashMap<>(SSHD.hostVars());
		vars.put("ansible_ssh_args", "-C -o ControlMaster=auto -o ControlPersist=60s");
		return vars;
	}

	@DynamicPropertySource
	static void operatorSettings(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
		registry.add("aegir.ansible.directory", () -> ansibleDirectory().toString());
		registry.add("aegir.ansible.known-hosts-file", () -> SSHD.knownHosts().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
		SSHD.trustHostKey();
	}

	@AfterAll
	static void stopSshd() {
		SSHD.close();
	}

	@Test
	void anOperationRunsOverSshItsCommandAsTheDrushUser() throws IOException {
		Path record = SCRATCH.resolve("records/plain-" + UUID.randomUUID());
		String marker = marker();

		JsonNode op = api.finished(api.submit(siteCommand("plain.example.org", marker, record, 0, null, true)), RUN);

		assertThatOperation(op).isSucceeded();
		List<String> lines = Files.readAllLines(record);
		assertThat(lines).hasSize(2);
		assertThat(lines.get(0)).startsWith("start ").endsWith(" uid=" + uid(DRUSH_USER));
		assertThat(lines.get(1)).startsWith("end ");
		assertThat(SSHD.log()).contains("Accepted publickey for " + Sshd.USER);
		assertThat(commandsWith(marker)).as("the daemon the command left (ended before the site's lock is released)")
			.isEmpty();
	}

	@Test
	void aCancelledRemoteCommandIsGoneWithinTenSecondsAndOnlyThenDoesTheNextOnTheSiteStart() throws IOException {
		String site = "cancel.example.org";
		String first = marker();
		Path firstRecord = SCRATCH.resolve("records/first-" + UUID.randomUUID());
		String firstId = api.submit(siteCommand(site, first, firstRecord, 300, null, true));
		await("the first command and the daemon it left the group with run on the host").atMost(RUN)
			.until(() -> commandsWith(first).size() == 2);
		assertThat(commandsWith(first)).allSatisfy(p -> assertThat(p.info().user()).contains(DRUSH_USER));

		// Another target naming the same site: the service runs it beside the first, and
		// the site's lock on the host holds it back.
		String second = marker();
		Path secondRecord = SCRATCH.resolve("records/second-" + UUID.randomUUID());
		Path firstMarkerFile = Files.writeString(SCRATCH.resolve("records/marker-" + UUID.randomUUID()), first);
		String secondId = api.submit(siteCommand(site, second, secondRecord, 0, firstMarkerFile, false));
		await("the second operation's runner waits for the site's lock").atMost(RUN).until(() -> runnerFor(second));
		assertThat(api.status(secondId)).isEqualTo("RUNNING");
		assertThat(commandsWith(second)).as("the second command while the first lives").isEmpty();
		assertThat(secondRecord).doesNotExist();

		assertThat(api.post("/api/v1/operations/" + firstId + "/cancel", SUBMITTER, "").statusCode()).isEqualTo(202);
		long cancelledAt = System.nanoTime();
		await("the first command is gone from the host").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(first).isEmpty());
		System.out.printf("the cancelled remote command was gone %d ms after the cancel%n",
				(System.nanoTime() - cancelledAt) / 1_000_000);

		assertThatOperation(api.finished(firstId, RUN)).isCancelled();
		assertThat(Files.readAllLines(firstRecord)).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.startsWith("start ");
		assertThatOperation(api.finished(secondId, RUN)).isSucceeded();
		List<String> secondLines = Files.readAllLines(secondRecord);
		assertThat(secondLines).as("the second command found no process of the first when it started")
			.noneMatch(line -> line.startsWith("overlap"));
		assertThat(secondLines.get(0)).startsWith("start ");
	}

	@Test
	void aCancelEndsTheRemoteCommandEvenWhereTheInventoryAsksForMultiplexedConnections() {
		String marker = marker();
		Path record = SCRATCH.resolve("records/multiplexed-" + UUID.randomUUID());
		String id = api
			.submit(siteCommand("multiplexed.example.org", marker, record, 300, null, false).hosts("multiplexed"));
		await("the command runs on the host").atMost(RUN).until(() -> !commandsWith(marker).isEmpty());

		assertThat(api.post("/api/v1/operations/" + id + "/cancel", SUBMITTER, "").statusCode()).isEqualTo(202);
		await("the command is gone from the host").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(marker).isEmpty());
		assertThat(
				ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("[mux]")).toList())
			.as("no multiplexing master was started")
			.isEmpty();
	}

	@Test
	void aTimedOutRemoteCommandIsGoneWithinTenSeconds() {
		String marker = marker();
		Path record = SCRATCH.resolve("records/timeout-" + UUID.randomUUID());
		String id = api
			.submit(siteCommand("timeout.example.org", marker, record, 300, null, false).with("timeoutSeconds", 30));
		await("the command runs on the host").atMost(RUN).until(() -> !commandsWith(marker).isEmpty());

		await("the operation times out").atMost(Duration.ofSeconds(60)).until(() -> "TIMED_OUT".equals(api.status(id)));
		long timedOutAt = System.nanoTime();
		await("the timed-out command is gone from the host").atMost(Duration.ofSeconds(10))
			.until(() -> commandsWith(marker).isEmpty());
		System.out.printf("the timed-out remote command was gone %d ms after the timeout was seen%n",
				(System.nanoTime() - timedOutAt) / 1_000_000);
	}

	@Test
	void aHostKeyOtherThanTheKnownOneOrAnUnknownHostFailsTheRun() throws IOException {
		for (Runnable knownHosts : List.<Runnable>of(SSHD::trustAnotherKey, () -> write(SSHD.knownHosts(), ""))) {
			knownHosts.run();
			String before = Files.readString(SSHD.knownHosts());
			Path record = SCRATCH.resolve("records/refused-" + UUID.randomUUID());

			JsonNode op = api.finished(api.submit(siteCommand("keys.example.org", marker(), record, 0, null, false)),
					RUN);

			assertThatOperation(op).isFailed();
			assertThat(op.get("reason").asString()).contains("unreachable");
			assertThat(log(op.get("id").asString())).contains("Host key verification failed");
			assertThat(record).doesNotExist();
			assertThat(Files.readString(SSHD.knownHosts())).as("the known hosts, not extended by the client")
				.isEqualTo(before);
		}
	}

	private String log(String id) {
		StringBuilder text = new StringBuilder();
		for (JsonNode line : api.json(api.get("/api/v1/operations/" + id + "/log?limit=10000", ApiClient.VIEWER))
			.get("lines")) {
			text.append(line.get("text").asString()).append('\n');
		}
		return text.toString();
	}

	private static String uid(String user) throws IOException {
		try {
			Process id = new ProcessBuilder("id", "-u", user).start();
			String uid = new String(id.getInputStream().readAllBytes()).trim();
			id.waitFor();
			return uid;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	private static void write(Path file, String text) {
		try {
			Files.writeString(file, text);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
