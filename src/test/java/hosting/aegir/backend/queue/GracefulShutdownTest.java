package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.SchemaJdbc;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Shutdown (what SIGTERM triggers): readiness goes down, running work gets the grace
 * period, then work submitted with retry goes back to the queue (its attempt not counted)
 * and the rest is cancelled with a reason.
 */
class GracefulShutdownTest {

	@Test
	void shutdownLetsShortWorkFinishHandsBackRetryableWorkAndCancelsTheRest() {
		String schema = TestDatabase.get().newSchema();
		EngineObservations engine = new EngineObservations();
		ConfigurableApplicationContext replica = Replica.start(schema, engine, "aegir.executor.replica-id=leaving",
				"aegir.executor.shutdown-grace=2s");
		List<ReadinessState> readiness = new CopyOnWriteArrayList<>();
		replica.addApplicationListener((ApplicationListener<AvailabilityChangeEvent<?>>) event -> {
			if (event.getState() instanceof ReadinessState state) {
				readiness.add(state);
			}
		});
		OperationService service = replica.getBean(OperationService.class);
		UUID quick = submit(service, "site-quick", 800, false);
		UUID slow = submit(service, "site-slow", 120_000, false);
		UUID retryable = submit(service, "site-retryable", 120_000, true);
		await("all three run").atMost(Duration.ofSeconds(20))
			.until(() -> engine.runs(quick) == 1 && engine.runs(slow) == 1 && engine.runs(retryable) == 1);

		replica.close();

		assertThat(readiness).first().isEqualTo(ReadinessState.REFUSING_TRAFFIC);
		assertThat(engine.cancelledAndStopped(slow)).isTrue();
		assertThat(engine.cancelledAndStopped(retryable)).isTrue();
		assertThat(engine.cancelledAndStopped(quick)).isFalse();
		JdbcClient db = SchemaJdbc.on(schema);
		assertThat(row(db, quick)).containsEntry("status", "SUCCEEDED");
		assertThat(row(db, slow)).containsEntry("status", "CANCELLED")
			.containsEntry("reason",
					"replica leaving shut down and the run did not finish within the shutdown grace of 2 s");
		assertThat(row(db, retryable)).containsEntry("status", "QUEUED")
			.containsEntry("attempt", 0)
			.containsEntry("claimed_by", null)
			.containsEntry("reason",
					"re-queued: replica leaving shut down and the run did not finish within the shutdown "
							+ "grace of 2 s (attempt not counted)");
		assertThat(db.sql("SELECT text FROM operation_log WHERE operation_id = ? ORDER BY seq")
			.param(retryable)
			.query(String.class)
			.list()).last().asString().startsWith("handed back to the queue: ");
	}

	private static UUID submit(OperationService service, String target, int sleepMs, boolean retry) {
		return service
			.submit(new SubmitOperationRequest("test.op", "ansible", target, "localhost", Map.of("sleep_ms", sleepMs),
					List.of(new TaskRequest("aegir.Scripted", Map.of(), null)), 600, retry ? Boolean.TRUE : null, null),
					null)
			.operation()
			.id();
	}

	private static Map<String, Object> row(JdbcClient jdbc, UUID id) {
		return jdbc.sql("SELECT status, reason, attempt, claimed_by FROM operation WHERE id = ?")
			.param(id)
			.query()
			.singleRow();
	}

}
