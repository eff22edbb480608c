package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two service instances on one database share the queue without running anything twice or
 * a target twice at once.
 */
class TwoReplicasTest {

	@Test
	void fiveHundredOperationsOverFiftyTargetsRunExactlyOnceAndOnePerTargetAtATime() {
		String schema = TestDatabase.get().newSchema();
		EngineObservations observations = new EngineObservations();
		try (ConfigurableApplicationContext a = Replica.start(schema, observations,
				"aegir.executor.replica-id=replica-a");
				ConfigurableApplicationContext b = Replica.start(schema, observations,
						"aegir.executor.replica-id=replica-b")) {
			OperationService service = a.getBean(OperationService.class);
			List<UUID> ids = new ArrayList<>();
			for (int i = 0; i < 500; i++) {
				String target = "site-" + (i % 50);
				Map<String, Object> vars = Map.of("key", target, "sleep_ms", ThreadLocalRandom.current().nextInt(0, 15),
						"lines", 2);
				// Submit through both replicas, as a load balancer would.
				OperationService via = i % 2 == 0 ? service : b.getBean(OperationService.class);
				ids.add(via
					.submit(new SubmitOperationRequest("test.op", "ansible", target, "localhost", vars,
							List.of(new TaskRequest("aegir.Scripted", Map.of(), null)), 60, null, null), null)
					.operation()
					.id());
			}
			JdbcClient jdbc = a.getBean(JdbcClient.class);
			await("all 500 operations are finished").atMost(Duration.ofSeconds(180))
				.until(() -> jdbc.sql(
						"SELECT count(*) FROM operation WHERE status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')")
					.query(Long.class)
					.single() == 500);

			assertThat(jdbc.sql("SELECT count(*) FROM operation WHERE status = 'SUCCEEDED' AND attempt = 1")
				.query(Long.class)
				.single()).isEqualTo(500);
			assertThat(ids).allSatisfy(id -> assertThat(observations.runs(id)).as("runs of " + id).isEqualTo(1));
			assertThat(observations.allRuns()).hasSize(500);
			assertThat(observations.maxActivePerKey()).isEqualTo(1);
			assertThat(jdbc.sql("SELECT DISTINCT claimed_by FROM operation").query(String.class).list())
				.containsExactlyInAnyOrder("replica-a", "replica-b");
			// Per target, runs never overlapped in the database's own record either.
			assertThat(jdbc.sql("""
					SELECT count(*) FROM operation x JOIN operation y
					  ON x.target = y.target AND x.id <> y.id
					 AND x.started_at < y.finished_at AND y.started_at < x.finished_at
					""").query(Long.class).single()).isZero();
		}
	}

}
