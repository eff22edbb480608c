package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.Await;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Shutdown (what SIGTERM triggers): readiness goes down, running work gets the grace period, the rest is cancelled with a reason. */
class GracefulShutdownTest {

	@Test
	void shutdownLetsShortWorkFinishAndCancelsWhatOutlivesTheGrace() {
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
		JdbcClient jdbc = replica.getBean(JdbcClient.class);
		UUID quick = submit(service, "site-quick", 800);
		UUID slow = submit(service, "site-slow", 120_000);
		Await.until("both run", Duration.ofSeconds(20), () -> engine.runs(quick) == 1 && engine.runs(slow) == 1);

		replica.close();

		assertThat(readiness).first().isEqualTo(ReadinessState.REFUSING_TRAFFIC);
		assertThat(engine.cancelledAndStopped(slow)).isTrue();
		assertThat(engine.cancelledAndStopped(quick)).isFalse();
		try (ConfigurableApplicationContext reader = Replica.start(schema, new EngineObservations(), "aegir.executor.enabled=false")) {
			JdbcClient db = reader.getBean(JdbcClient.class);
			assertThat(status(db, quick)).isEqualTo("SUCCEEDED");
			assertThat(status(db, slow)).isEqualTo("CANCELLED");
			assertThat(db.sql("SELECT reason FROM operation WHERE id = ?").param(slow).query(String.class).single())
				.isEqualTo("replica leaving shut down and the run did not finish within the shutdown grace of 2 s");
		}
		assertThat(jdbc).isNotNull();
	}

	private static UUID submit(OperationService service, String target, int sleepMs) {
		return service.submit(new SubmitOperationRequest("test.op", "ansible", target, "localhost", Map.of("sleep_ms", sleepMs),
				List.of(new TaskRequest("aegir.Scripted", Map.of(), null)), 600, null, null), null).operation().id();
	}

	private static String status(JdbcClient jdbc, UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

}
