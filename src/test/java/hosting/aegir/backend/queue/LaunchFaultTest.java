package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A claimed operation that cannot be launched (a stored row no engine request can be made
 * of, as a hand edit or a bad restore would leave) fails with the reason, once and
 * without a run, while the operations around it run: the replica goes on claiming, the
 * busy-slot gauge comes back to 0 and the failures are counted. Launching reads nothing
 * from the database (the claim returns all it needs), so a database fault cannot strike
 * between claim and run.
 */
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(properties = { "aegir.executor.concurrency=2", "aegir.executor.poll-interval=30s" })
class LaunchFaultTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@Autowired
	OperationService operations;

	@Autowired
	EngineObservations engine;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	MeterRegistry metrics;

	@Autowired
	QueueHealthIndicator health;

	@Test
	void anOperationThatCannotBeLaunchedFailsAndTheReplicaKeepsClaiming() {
		List<UUID> broken = new ArrayList<>();
		List<UUID> sound = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			sound.add(submit("site-launch-" + i));
			broken.add(insertUnlaunchable("site-broken-" + i));
		}

		await("every operation has ended").atMost(WAIT)
			.until(() -> List.of(sound, broken)
				.stream()
				.flatMap(List::stream)
				.allMatch(id -> List.of("SUCCEEDED", "FAILED").contains(status(id))));
		assertThat(sound).allSatisfy(id -> {
			assertThat(status(id)).isEqualTo("SUCCEEDED");
			assertThat(engine.runs(id)).as("runs of " + id).isEqualTo(1);
		});
		assertThat(broken).allSatisfy(id -> {
			assertThat(status(id)).isEqualTo("FAILED");
			assertThat(engine.runs(id)).as("runs of " + id).isZero();
			assertThat(jdbc.sql("SELECT reason FROM operation WHERE id = ?").param(id).query(String.class).single())
				.startsWith("the replica could not launch the run: ");
		});
		assertThat(metrics.get("aegir.executor.launch.failures").counter().count()).isEqualTo(3);

		UUID later = submit("site-launch-later");
		await("a later operation still runs").atMost(WAIT).until(() -> status(later), "SUCCEEDED"::equals);
		await("every slot is free again").atMost(WAIT)
			.until(() -> metrics.get("aegir.executor.slots.busy").gauge().value() == 0.0);
		assertThat(metrics.get("aegir.executor.dispatcher.alive").gauge().value()).isEqualTo(1.0);
		assertThat(health.health().getStatus()).isEqualTo(Status.UP);
	}

	private UUID submit(String target) {
		return operations
			.submit(new SubmitOperationRequest("test.op", "ansible", target, "localhost", Map.of("sleep_ms", 100),
					List.of(new TaskRequest("aegir.Scripted", Map.of(), null)), 60, null, null), null)
			.operation()
			.id();
	}

	// Tasks that are an object, not a list: the API never stores such a row.
	private UUID insertUnlaunchable(String target) {
		UUID id = UUID.randomUUID();
		jdbc.sql(
				"""
						INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds)
						VALUES (?, 'test.op', 'ansible', ?, 'localhost', '{}', '{"name": "aegir.Scripted"}', 'QUEUED',
						        repeat('0', 64), 60)
						""")
			.params(id, target)
			.update();
		// As a submission does: the replica claims on the wake-up, not at its next poll.
		jdbc.sql("SELECT pg_notify('aegir_queued', 'ansible')").query().listOfRows();
		return id;
	}

	private String status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

}
