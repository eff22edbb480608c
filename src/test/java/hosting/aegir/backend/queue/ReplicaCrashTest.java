package hosting.aegir.backend.queue;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.ReplicaMain;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica killed with SIGKILL mid-run: the surviving replica's reaper recovers its
 * operations — failing them with a clear reason, or re-running those submitted with retry
 * — and nothing is lost.
 */
class ReplicaCrashTest {

	@Test
	void operationsOfAKilledReplicaAreRecoveredByTheOther() throws Exception {
		TestDatabase db = TestDatabase.get();
		String schema = db.newSchema();
		int port = ChildReplica.freePort();
		Process doomed = new ProcessBuilder(ChildReplica.javaBin(), "-Xmx256m", "-cp",
				System.getProperty("java.class.path"), ReplicaMain.class.getName(),
				"--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
				"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + schema,
				"--server.port=" + port, "--aegir.executor.replica-id=doomed", "--aegir.executor.concurrency=4",
				"--aegir.executor.heartbeat-interval=500ms")
			.redirectErrorStream(true)
			.redirectOutput(new File("target/replica-crash-child.log"))
			.start();
		EngineObservations survivorSaw = new EngineObservations();
		ConfigurableApplicationContext survivor = null;
		try {
			ApiClient child = new ApiClient(port);
			await("the child replica serves").atMost(Duration.ofSeconds(60))
				.until(() -> doomed.isAlive() && ChildReplica.serves(child));

			List<UUID> retried = new ArrayList<>();
			List<UUID> notRetried = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				boolean retry = i % 2 == 0;
				Map<String, Object> body = new HashMap<>(ApiClient.submission("site-long-" + i));
				body.put("vars", Map.of("first_attempt_sleep_ms", 120_000));
				body.put("retry", retry);
				body.put("maxAttempts", 2);
				UUID id = UUID.fromString(child.json(child.post("/api/v1/operations", SUBMITTER, child.write(body)))
					.get("id")
					.asString());
				(retry ? retried : notRetried).add(id);
			}
			survivor = Replica.start(schema, survivorSaw, "aegir.executor.replica-id=survivor",
					"aegir.executor.stale-after=3s", "aegir.executor.heartbeat-interval=500ms");
			JdbcClient jdbc = survivor.getBean(JdbcClient.class);
			await("the child runs all four long operations").atMost(Duration.ofSeconds(30))
				.until(() -> jdbc
					.sql("SELECT count(*) FROM operation WHERE status = 'RUNNING' AND claimed_by = 'doomed'")
					.query(Long.class)
					.single() == 4);

			List<UUID> queuedBehind = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				queuedBehind.add(
						UUID.fromString(
								child
									.json(child.post("/api/v1/operations", SUBMITTER,
											child.write(ApiClient.submission("site-short-" + i))))
									.get("id")
									.asString()));
			}

			doomed.destroyForcibly().waitFor();
			long killedAt = System.nanoTime();

			await("every operation has ended").atMost(Duration.ofSeconds(60))
				.until(() -> jdbc.sql(
						"SELECT count(*) FROM operation WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')")
					.query(Long.class)
					.single() == 8);
			System.out.printf("recovered the killed replica's operations %d ms after SIGKILL (stale-after 3 s)%n",
					(System.nanoTime() - killedAt) / 1_000_000);

			for (UUID id : notRetried) {
				Map<String, Object> row = jdbc.sql("SELECT * FROM operation WHERE id = ?")
					.param(id)
					.query()
					.singleRow();
				assertThat(row.get("status")).isEqualTo("FAILED");
				assertThat((String) row.get("reason")).startsWith("executor lost: replica doomed stopped heartbeating");
				assertThat(survivorSaw.runs(id)).isZero();
			}
			for (UUID id : retried) {
				Map<String, Object> row = jdbc.sql("SELECT * FROM operation WHERE id = ?")
					.param(id)
					.query()
					.singleRow();
				assertThat(row.get("status")).isEqualTo("SUCCEEDED");
				assertThat(row.get("attempt")).isEqualTo(2);
				assertThat(row.get("claimed_by")).isEqualTo("survivor");
				assertThat(survivorSaw.runs(id)).isEqualTo(1);
			}
			for (UUID id : queuedBehind) {
				assertThat(jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single())
					.isEqualTo("SUCCEEDED");
				assertThat(survivorSaw.runs(id)).isEqualTo(1);
			}
		}
		finally {
			doomed.destroyForcibly();
			if (survivor != null) {
				survivor.close();
			}
		}
	}

}
