package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.ReplicaMain;
import hosting.aegir.backend.support.SchemaJdbc;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica in its own JVM gets SIGTERM with work running longer than its shutdown grace:
 * what was submitted with retry goes back to the queue, its attempt not counted, and
 * finishes on the other replica; the rest ends CANCELLED with the reason.
 */
class SigtermHandBackTest {

	@Test
	void retryableWorkMovesToTheOtherReplicaAndTheRestIsCancelledWithAReason() throws Exception {
		String schema = TestDatabase.get().newSchema();
		JdbcClient db = SchemaJdbc.on(schema);
		EngineObservations stayingSaw = new EngineObservations();
		try (ChildReplica leaving = ChildReplica.start(ReplicaMain.class, "sigterm-leaving", schema,
				"aegir.executor.replica-id=leaving", "aegir.executor.shutdown-grace=2s",
				"aegir.executor.heartbeat-interval=500ms")) {
			ApiClient api = leaving.api();
			List<UUID> retryable = new ArrayList<>();
			List<UUID> others = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				boolean retry = i % 2 == 0;
				Map<String, Object> body = new HashMap<>(ApiClient.submission("site-sigterm-" + i));
				// Long on the leaving replica only: the one that takes it over finishes
				// at once.
				body.put("vars", Map.of("sleep_ms_on", Map.of("leaving", 300_000)));
				body.put("retry", retry);
				(retry ? retryable : others).add(UUID.fromString(
						api.json(api.post("/api/v1/operations", SUBMITTER, api.write(body))).get("id").asString()));
			}
			await("the leaving replica runs all four").atMost(Duration.ofSeconds(30))
				.until(() -> db
					.sql("SELECT count(*) FROM operation WHERE status = 'RUNNING' AND claimed_by = 'leaving'")
					.query(Long.class)
					.single() == 4);

			try (ConfigurableApplicationContext staying = Replica.start(schema, stayingSaw,
					"aegir.executor.replica-id=staying")) {
				leaving.terminate();
				assertThat(leaving.process().waitFor(90, TimeUnit.SECONDS)).as("the leaving replica exits").isTrue();

				await("the retryable operations finish on the staying replica").atMost(Duration.ofSeconds(30))
					.until(() -> retryable.stream().allMatch(id -> "SUCCEEDED".equals(row(db, id).get("status"))));
				for (UUID id : retryable) {
					assertThat(row(db, id)).containsEntry("claimed_by", "staying").containsEntry("attempt", 1);
					assertThat(stayingSaw.runs(id)).isEqualTo(1);
					assertThat(db.sql("SELECT text FROM operation_log WHERE operation_id = ? ORDER BY seq")
						.param(id)
						.query(String.class)
						.list())
						.anySatisfy(line -> assertThat(line)
							.startsWith("handed back to the queue: replica leaving shut down"))
						.last()
						.isEqualTo("finished: SUCCEEDED");
				}
				for (UUID id : others) {
					assertThat(row(db, id)).containsEntry("status", "CANCELLED")
						.containsEntry("claimed_by", "leaving")
						.containsEntry("reason",
								"replica leaving shut down and the run did not finish within the shutdown grace of 2 s");
					assertThat(stayingSaw.runs(id)).isZero();
				}
			}
		}
	}

	private static Map<String, Object> row(JdbcClient db, UUID id) {
		return db.sql("SELECT status, reason, attempt, claimed_by FROM operation WHERE id = ?")
			.param(id)
			.query()
			.singleRow();
	}

}
