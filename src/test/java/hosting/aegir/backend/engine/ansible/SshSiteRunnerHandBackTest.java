package hosting.aegir.backend.engine.ansible;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.SchemaJdbc;
import hosting.aegir.backend.support.Sshd;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.ansibleDirectory;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.commandsWith;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.inventory;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.marker;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.scratch;
import static hosting.aegir.backend.engine.ansible.RemoteSiteCommands.siteCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hand-back over SSH: the replica running an operation's long remote command is killed
 * with SIGKILL. Its launcher ends the local ansible-playbook and ssh client, the
 * connection closes, and the site runner on the host ends the command (and the daemon it
 * left) within 10 s; the retry on the surviving replica then finds none of them alive
 * when its own command starts under the site's lock.
 */
class SshSiteRunnerHandBackTest {

	@Test
	void theRemoteCommandOfAKilledReplicaDiesWithItAndTheRetryNeverRunsBesideIt() throws Exception {
		try (Sshd sshd = Sshd.start()) {
			Path scratch = scratch();
			OperatorInventory operator = inventory(sshd, scratch);
			String schema = TestDatabase.get().newSchema();
			JdbcClient db = SchemaJdbc.on(schema);
			String[] common = { "aegir.ansible.enabled=true", "aegir.ansible.directory=" + ansibleDirectory(),
					"aegir.ansible.inventory=" + operator.hostsFile(),
					"aegir.ansible.known-hosts-file=" + sshd.knownHosts(), "aegir.ansible.kill-grace=2s",
					"aegir.executor.heartbeat-interval=500ms", "aegir.executor.stale-after=15s" };
			String marker = marker();
			Path record = scratch.resolve("records/handback-" + UUID.randomUUID());
			Path markerFile = Files.writeString(scratch.resolve("records/marker-" + UUID.randomUUID()), marker);
			String id;
			try (ChildReplica doomed = ChildReplica.start(AegirBackendApplication.class, "ssh-handback-doomed", schema,
					with(common, "aegir.executor.replica-id=doomed"))) {
				id = doomed.api()
					.submit(siteCommand("handback.example.org", marker, record, 300, markerFile, true)
						.with("retry", true)
						.with("maxAttempts", 2));
				await("the command and its daemon run on the host").atMost(Duration.ofSeconds(120))
					.until(() -> commandsWith(marker).size() == 2);
				doomed.kill();
				long killedAt = System.nanoTime();
				await("the killed replica's remote command is gone").atMost(Duration.ofSeconds(10))
					.until(() -> commandsWith(marker).isEmpty());
				System.out.printf("the remote command was gone %d ms after the replica's SIGKILL%n",
						(System.nanoTime() - killedAt) / 1_000_000);
			}
			try (ChildReplica survivor = ChildReplica.start(AegirBackendApplication.class, "ssh-handback-survivor",
					schema, with(common, "aegir.executor.replica-id=survivor"))) {
				await("the survivor re-ran the operation").atMost(Duration.ofSeconds(180))
					.until(() -> "SUCCEEDED".equals(db.sql("SELECT status FROM operation WHERE id = ?::uuid")
						.param(id)
						.query(String.class)
						.single()));
			}
			List<String> lines = Files.readAllLines(record);
			assertThat(lines).as("two starts, the re-run's after no process of the first was left")
				.filteredOn(line -> line.startsWith("start "))
				.hasSize(2);
			assertThat(lines).noneMatch(line -> line.startsWith("overlap"));
			assertThat(commandsWith(marker)).isEmpty();
		}
	}

	private static String[] with(String[] common, String extra) {
		String[] all = java.util.Arrays.copyOf(common, common.length + 1);
		all[common.length] = extra;
		return all;
	}

}
