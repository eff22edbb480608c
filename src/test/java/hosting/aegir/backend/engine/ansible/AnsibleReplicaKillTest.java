package hosting.aegir.backend.engine.ansible;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.FaultRoles;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.SchemaJdbc;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * kill -9 of a replica running real ansible-playbook operations: every process of its
 * runs is gone within 10 s (the launcher sees the JVM's pipe close and ends the group),
 * and the operation submitted with retry is re-run by the other replica only after the
 * first run has ended.
 */
class AnsibleReplicaKillTest {

	@TempDir
	Path dir;

	@Test
	void theRunsOfAKilledReplicaDieWithItAndARetryNeverOverlapsThem() throws Exception {
		Path ansible = FaultRoles.ansibleDirectory(dir);
		String schema = TestDatabase.get().newSchema();
		JdbcClient db = SchemaJdbc.on(schema);
		String[] common = { "aegir.ansible.enabled=true", "aegir.ansible.directory=" + ansible,
				"aegir.ansible.kill-grace=2s", "aegir.executor.heartbeat-interval=500ms",
				"aegir.executor.stale-after=15s" };
		try (ChildReplica doomed = ChildReplica.start(AegirBackendApplication.class, "ansible-kill-doomed", schema,
				concat(common, "aegir.executor.replica-id=doomed"))) {
			ApiClient api = doomed.api();
			Path retriedMarker = dir.resolve("retried.marker");
			UUID retried = submit(api, "site-kill-retried", retriedMarker, true);
			UUID failed = submit(api, "site-kill-failed", dir.resolve("failed.marker"), false);
			await("both playbooks reached their sleep").atMost(Duration.ofSeconds(90))
				.until(() -> Files.exists(retriedMarker) && Files.exists(dir.resolve("failed.marker")));
			List<ProcessHandle> runProcesses = ProcessHandle.of(doomed.pid()).orElseThrow().descendants().toList();
			assertThat(runProcesses).as("the doomed replica's run processes")
				.anySatisfy(p -> assertThat(p.info().commandLine().orElse("")).contains("ansible-playbook"));

			try (ChildReplica survivor = ChildReplica.start(AegirBackendApplication.class, "ansible-kill-survivor",
					schema, concat(common, "aegir.executor.replica-id=survivor"))) {
				doomed.kill();
				long killedAt = System.nanoTime();

				await("no process of the killed replica's runs is left").atMost(Duration.ofSeconds(10))
					.until(() -> runProcesses.stream().noneMatch(ProcessHandle::isAlive) && !runningFor(retried)
							&& !runningFor(failed));
				long goneAtEpochNanos = System.currentTimeMillis() * 1_000_000;
				System.out.printf("the killed replica's %d run processes were gone %d ms after SIGKILL%n",
						runProcesses.size(), (System.nanoTime() - killedAt) / 1_000_000);

				await("the survivor settled both").atMost(Duration.ofSeconds(120))
					.until(() -> db.sql("SELECT count(*) FROM operation WHERE status IN ('SUCCEEDED', 'FAILED')")
						.query(Long.class)
						.single() == 2);
				assertThat(db.sql("SELECT status, attempt, claimed_by FROM operation WHERE id = ?")
					.param(retried)
					.query()
					.singleRow()).containsEntry("status", "SUCCEEDED")
					.containsEntry("attempt", 2)
					.containsEntry("claimed_by", "survivor");
				assertThat(
						db.sql("SELECT status, reason FROM operation WHERE id = ?").param(failed).query().singleRow())
					.containsEntry("status", "FAILED")
					.hasEntrySatisfying("reason",
							r -> assertThat((String) r).startsWith("executor lost: replica doomed"));
				List<String> starts = Files.readAllLines(retriedMarker);
				assertThat(starts).hasSize(2);
				long rerunStartedAt = Long.parseLong(starts.get(1).substring("start ".length()));
				assertThat(rerunStartedAt).as("the re-run started after every process of the first had ended")
					.isGreaterThan(goneAtEpochNanos);
			}
		}
	}

	private static UUID submit(ApiClient api, String target, Path marker, boolean retry) {
		Map<String, Object> body = Map.of("type", "test.sleep", "engine", "ansible", "target", target, "hosts",
				"localhost", "vars", Map.of(), "tasks",
				List.of(Map.of("name", "aegir.TestSleep", "vars", Map.of("marker", marker.toString(), "seconds", 300))),
				"retry", retry, "maxAttempts", 2);
		var response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

	// The run's private directory (named after the operation) is on its ansible-playbook
	// command line.
	private static boolean runningFor(UUID id) {
		return ProcessHandle.allProcesses()
			.anyMatch(p -> p.info().commandLine().map(c -> c.contains("aegir-" + id)).orElse(false));
	}

	private static String[] concat(String[] common, String extra) {
		List<String> all = new ArrayList<>(List.of(common));
		all.add(extra);
		return all.toArray(String[]::new);
	}

}
