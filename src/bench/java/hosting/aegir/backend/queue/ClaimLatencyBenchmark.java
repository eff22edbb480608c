package hosting.aegir.backend.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The claim query's latency in the cases that used to hurt, side by side in one run:
 * <ol>
 * <li>no history at all;</li>
 * <li>queued operations on targets that each have 10,000 finished operations (the "older queued
 * operation of the same target" probe used to walk a site's whole history);</li>
 * <li>the same, with 10,000 queued operations ahead of them that cannot start (their targets are
 * busy), which every claim has to step over.</li>
 * </ol>
 * Target: p99 below 5 ms in every case.
 */
class ClaimLatencyBenchmark {

	private static final int TARGETS = 50;

	private static final int HISTORY_PER_TARGET = 10_000;

	private static final int BLOCKED = 10_000;

	@Test
	void claimLatencyDoesNotGrowWithHistoryOrABlockedQueue() {
		try (ConfigurableApplicationContext idle = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
				"aegir.executor.enabled=false", "logging.level.root=warn")) {
			JdbcClient jdbc = idle.getBean(JdbcClient.class);
			QueueSql sql = idle.getBean(QueueSql.class);
			Stats empty = measure(jdbc, sql);

			long start = System.nanoTime();
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
					                       attempt, claimed_by, created_at, started_at, finished_at, exit_code)
					SELECT gen_random_uuid(), 'site.backup', 'ansible', 'site-' || (g % :targets), 'localhost', '{}', '[]',
					       (ARRAY['SUCCEEDED', 'FAILED', 'CANCELLED'])[1 + g % 3], repeat('0', 64), 60, 1, 'old-replica',
					       now() - g * interval '1 second', now() - g * interval '1 second', now() - g * interval '1 second', 0
					  FROM generate_series(1, :rows) g
					""").param("targets", TARGETS).param("rows", TARGETS * HISTORY_PER_TARGET).update();
			jdbc.sql("ANALYZE operation").update();
			Stats history = measure(jdbc, sql);

			// Four busy sites, and 10,000 operations queued behind them, older than anything else queued.
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
					                       attempt, claimed_by, created_at, started_at, heartbeat_at)
					SELECT gen_random_uuid(), 'site.backup', 'ansible', 'busy-' || g, 'localhost', '{}', '[]', 'RUNNING',
					       repeat('0', 64), 3600, 1, 'other-replica', now() - interval '1 day', now(), now()
					  FROM generate_series(1, 4) g
					""").update();
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
					SELECT gen_random_uuid(), 'site.backup', 'ansible', 'busy-' || (1 + g % 4), 'localhost', '{}', '[]', 'QUEUED',
					       repeat('0', 64), 60, now() - interval '1 hour' + g * interval '1 millisecond'
					  FROM generate_series(1, :blocked) g
					""").param("blocked", BLOCKED).update();
			jdbc.sql("ANALYZE operation").update();
			Stats blocked = measure(jdbc, sql);
			double loadSeconds = (System.nanoTime() - start) / 1e9;

			System.out.println();
			System.out.println("== claim latency (one claim of one operation, as the executor issues it) ==");
			System.out.println(Stats.row("no history", empty));
			System.out.println(Stats.row(String.format("%,d finished per target", HISTORY_PER_TARGET), history));
			System.out.println(Stats.row(String.format("... and %,d blocked queued ahead", BLOCKED), blocked));
			System.out.printf("ratio history/empty p99: %.2f, blocked/empty p99: %.2f (target: p99 < 5 ms); data loaded in %.0f s%n",
					history.p99() / empty.p99(), blocked.p99() / empty.p99(), loadSeconds);
			System.out.println("plan of the scan in submission order (step 1 scans it within a window of " + QueueSql.WINDOW
					+ "): " + String.join(" | ", jdbc.sql("""
					EXPLAIN SELECT q.id FROM operation q
					 WHERE q.status = 'QUEUED' AND q.engine IN ('ansible')
					   AND NOT EXISTS (SELECT 1 FROM operation a WHERE a.target = q.target AND a.status IN ('RUNNING', 'CANCELLING'))
					   AND NOT EXISTS (SELECT 1 FROM operation b WHERE b.target = q.target AND b.status = 'QUEUED'
					                     AND (b.created_at, b.id) < (q.created_at, q.id))
					 ORDER BY q.created_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED
					""").query(String.class).list()).replaceAll("\\s+", " "));
		}
	}

	// 200 queued operations on the history targets (4 each); time 1,000 claims (the first round warms up).
	private static Stats measure(JdbcClient jdbc, QueueSql sql) {
		List<Long> nanos = new ArrayList<>();
		for (int round = 0; round < 6; round++) {
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
					SELECT gen_random_uuid(), 'bench.noop', 'ansible', 'site-' || (g % :targets), 'localhost', '{}', '[]',
					       'QUEUED', repeat('0', 64), 60, clock_timestamp()
					  FROM generate_series(1, 200) g
					""").param("targets", TARGETS).update();
			for (int i = 0; i < 200; i++) {
				long start = System.nanoTime();
				List<ClaimedOperation> claimed = sql.claim("bench", Set.of("ansible"), 1);
				long took = System.nanoTime() - start;
				if (round > 0) {
					nanos.add(took);
				}
				for (ClaimedOperation op : claimed) {
					sql.complete(op.id(), "bench", op.attempt(), OperationStatus.SUCCEEDED, 0, null, "{}");
				}
			}
		}
		return Stats.ofNanos(nanos);
	}

}
