package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.operation.ClaimedOperation;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.awaitility.Awaitility.await;

/**
 * Claim + complete throughput of the executor with a no-op engine (everything it writes per
 * operation: the claim, the start and end lines of the log, the completion, the next claim),
 * against the bare statements (claim a batch of 4, complete each) issued from one connection with
 * no executor around them. Each side has a schema (and a replica) of its own, both up at once, so
 * the rounds alternate; each round queues {@value #OPERATIONS} operations on distinct targets.
 */
class ClaimThroughputBenchmark {

	private static final int OPERATIONS = 2_000;

	private static final int SLOTS = Integer.getInteger("bench.slots", 4);

	private int round;

	@Test
	void executorAgainstBareSql() {
		Bench bench = new Bench("throughput");
		try (ConfigurableApplicationContext idle = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
				"aegir.executor.enabled=false", "logging.level.root=warn");
				ConfigurableApplicationContext replica = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
						"aegir.executor.concurrency=" + SLOTS, "logging.level.root=warn")) {
			JdbcClient bareJdbc = idle.getBean(JdbcClient.class);
			OperationStore bareSql = idle.getBean(OperationStore.class);
			JdbcClient jdbc = replica.getBean(JdbcClient.class);
			bench.compare("claim+complete", 1, 3, Side.of("bare SQL, one connection, batches of 4", "ops/s", () -> {
				queue(bareJdbc);
				long start = System.nanoTime();
				int done = 0;
				while (done < OPERATIONS) {
					List<ClaimedOperation> claimed = bareSql.claim("bare", Set.of("ansible"), 4);
					for (ClaimedOperation op : claimed) {
						bareSql.complete(op.id(), "bare", op.attempt(), OperationStatus.SUCCEEDED, 0, null, "{}");
					}
					done += claimed.size();
				}
				return OPERATIONS / ((System.nanoTime() - start) / 1e9);
			}), Side.of("executor, " + SLOTS + " slots, no-op engine", "ops/s", () -> executor(jdbc)));
			bench.ratio("executor / bare SQL", "executor, " + SLOTS + " slots, no-op engine",
					"bare SQL, one connection, batches of 4", Target.none());
			bench.target("executor throughput", "executor, " + SLOTS + " slots, no-op engine", Target.atLeast(1000));
			bench.note(OPERATIONS + " operations a round, each on its own target; executor figure from the database's clock"
					+ " (first claim to last completion)");
			bench.finish();
		}
	}

	private double executor(JdbcClient jdbc) {
		String type = queue(jdbc);
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
		long succeeded = jdbc.sql("SELECT count(*) FROM operation WHERE status = 'SUCCEEDED' AND type = :type").param("type", type)
			.query(Long.class).single();
		if (succeeded != OPERATIONS) {
			throw new AssertionError("only " + succeeded + " of " + OPERATIONS + " succeeded");
		}
		// From the first claim to the last completion, by the database's clock: the poll above ends up to 250 ms late.
		double seconds = jdbc.sql("SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM operation WHERE type = :type")
			.param("type", type).query(Double.class).single();
		return OPERATIONS / seconds;
	}

	private String queue(JdbcClient jdbc) {
		String type = "bench.round-" + (++round);
		jdbc.sql("""
				INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
				SELECT gen_random_uuid(), :type, 'ansible', :type || '-' || g, 'localhost', '{"lines": 0}',
				       '[{"name": "aegir.Noop", "vars": {}}]', 'QUEUED', repeat('0', 64), 60, clock_timestamp()
				  FROM generate_series(1, :count) g
				""").param("type", type).param("count", OPERATIONS).update();
		jdbc.sql("ANALYZE operation").update();
		return type;
	}

}
