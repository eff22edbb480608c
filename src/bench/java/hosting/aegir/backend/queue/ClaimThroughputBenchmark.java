package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.awaitility.Awaitility.await;

/**
 * Claim + complete throughput of the executor with a no-op engine, against the bare statements
 * (claim a batch, complete each) issued from one connection with no executor around them.
 */
class ClaimThroughputBenchmark {

	private static final int OPERATIONS = 10_000;

	private static final int SLOTS = Integer.getInteger("bench.slots", 4);

	@Test
	void executorAgainstBareSql() {
		String schema = TestDatabase.get().newSchema();
		double bare;
		try (ConfigurableApplicationContext idle = Replica.start(schema, new EngineObservations(), "aegir.executor.enabled=false",
				"logging.level.root=warn")) {
			JdbcClient jdbc = idle.getBean(JdbcClient.class);
			QueueSql sql = idle.getBean(QueueSql.class);
			queue(jdbc, OPERATIONS, "bare");
			long start = System.nanoTime();
			int done = 0;
			while (done < OPERATIONS) {
				List<ClaimedOperation> claimed = sql.claim("bare", Set.of("ansible"), 4);
				for (ClaimedOperation op : claimed) {
					sql.complete(op.id(), "bare", op.attempt(), OperationStatus.SUCCEEDED, 0, null, "{}");
				}
				done += claimed.size();
			}
			bare = OPERATIONS / ((System.nanoTime() - start) / 1e9);
			queue(jdbc, OPERATIONS, "svc");
		}
		EngineObservations engine = new EngineObservations();
		try (ConfigurableApplicationContext replica = Replica.start(schema, engine, "aegir.executor.concurrency=" + SLOTS,
				"logging.level.root=warn")) {
			JdbcClient jdbc = replica.getBean(JdbcClient.class);
			// Poll rarely, through the partial indexes: the harness must not compete with what it measures.
			await("all claimed and completed").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
				try {
					Thread.sleep(250);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return !jdbc.sql("SELECT EXISTS (SELECT 1 FROM operation WHERE status = 'QUEUED') "
						+ "OR EXISTS (SELECT 1 FROM operation WHERE status IN ('RUNNING', 'CANCELLING'))").query(Boolean.class).single();
			});
			// From the first claim to the last completion, by the database's clock: the executor begins
			// claiming while the context is still starting, and the poll above ends up to 250 ms late.
			long last = jdbc.sql("SELECT extract(epoch FROM max(finished_at) - min(started_at)) * 1e9 FROM operation WHERE claimed_by <> 'bare'")
				.query(Double.class).single().longValue();
			double service = OPERATIONS / (last / 1e9);
			long succeeded = jdbc.sql("SELECT count(*) FROM operation WHERE status = 'SUCCEEDED' AND claimed_by <> 'bare'")
				.query(Long.class).single();
			System.out.println();
			System.out.println("== claim + complete throughput, no-op engine, " + OPERATIONS + " operations ==");
			System.out.printf("%-44s %.0f ops/s%n", "bare SQL, one connection, batches of 4", bare);
			System.out.printf("%-44s %.0f ops/s (%d succeeded)%n",
					"executor, " + SLOTS + " slots, logs and events written", service, succeeded);
			System.out.printf("ratio executor/bare: %.2f (target: executor ≥ 1000 ops/s)%n", service / bare);
		}
	}

	private static void queue(JdbcClient jdbc, int count, String prefix) {
		jdbc.sql("""
				INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
				SELECT gen_random_uuid(), 'bench.noop', 'ansible', :prefix || '-' || g, 'localhost', '{"lines": 0}',
				       '[{"name": "aegir.Noop", "vars": {}}]', 'QUEUED', repeat('0', 64), 60, clock_timestamp()
				  FROM generate_series(1, :count) g
				""").param("prefix", prefix).param("count", count).update();
		jdbc.sql("ANALYZE operation").update();
	}

}
