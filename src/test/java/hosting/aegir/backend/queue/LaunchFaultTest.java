package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database fails while a claimed operation is being launched (the read a run makes
 * before it starts): the claim goes back to the queue with its attempt unchanged, the
 * replica goes on claiming, nothing runs twice and the busy-slot gauge comes back to 0.
 */
@PostgresTest
@Import({ ScriptedEngineConfig.class, LaunchFaultTest.Faults.class })
@SpringBootTest(properties = { "aegir.executor.concurrency=2", "aegir.executor.poll-interval=30s" })
class LaunchFaultTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@Autowired
	OperationService operations;

	@Autowired
	EngineObservations engine;

	@Autowired
	FlakyQueueSql sql;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	MeterRegistry metrics;

	@Autowired
	QueueHealthIndicator health;

	@Test
	void aLaunchThatFailsOnTheDatabaseIsHandedBackAndTheReplicaKeepsClaiming() {
		sql.failNextLaunches(3);
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			ids.add(submit("site-launch-" + i));
		}

		await("all six succeeded").atMost(WAIT)
			.until(() -> ids.stream().allMatch(id -> "SUCCEEDED".equals(status(id))));
		assertThat(sql.injected()).isEqualTo(3);
		assertThat(metrics.get("aegir.executor.launch.failures").counter().count()).isEqualTo(3);
		assertThat(ids).allSatisfy(id -> {
			assertThat(engine.runs(id)).as("runs of " + id).isEqualTo(1);
			assertThat(jdbc.sql("SELECT attempt FROM operation WHERE id = ?").param(id).query(Integer.class).single())
				.as("attempt of " + id)
				.isEqualTo(1);
		});

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

	private String status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

	/**
	 * The real queue statements, except that the next launches' first database read
	 * fails.
	 */
	static class FlakyQueueSql extends QueueSql {

		private final AtomicInteger toFail = new AtomicInteger();

		private final AtomicInteger injected = new AtomicInteger();

		FlakyQueueSql(JdbcClient jdbc, JdbcTemplate template, LeaseConnections lease) {
			super(jdbc, template, lease);
		}

		void failNextLaunches(int count) {
			toFail.set(count);
		}

		int injected() {
			return injected.get();
		}

		@Override
		public long[] lastSequences(UUID id) {
			if (toFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
				injected.incrementAndGet();
				throw new DataAccessResourceFailureException(
						"injected: connection is not available, request timed out");
			}
			return super.lastSequences(id);
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	static class Faults {

		@Bean
		@Primary
		FlakyQueueSql flakyQueueSql(JdbcClient jdbc, JdbcTemplate template, LeaseConnections lease) {
			return new FlakyQueueSql(jdbc, template, lease);
		}

	}

}
