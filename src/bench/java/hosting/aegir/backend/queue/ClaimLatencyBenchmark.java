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

/** The claim query's latency with no history against 1,000,000 finished operations in the table. */
class ClaimLatencyBenchmark {

	@Test
	void claimLatencyDoesNotGrowWithHistory() {
		try (ConfigurableApplicationContext idle = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
				"aegir.executor.enabled=false", "logging.level.root=warn")) {
			JdbcClient jdbc = idle.getBean(JdbcClient.class);
			QueueSql sql = idle.getBean(QueueSql.class);
			Stats empty = measure(jdbc, sql);
			long start = System.nanoTime();
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
					                       attempt, claimed_by, created_at, started_at, finished_at, exit_code)
					SELECT gen_random_uuid(), 'site.backup', 'ansible', 'site-' || (g % 20000), 'localhost', '{}', '[]',
					       (ARRAY['SUCCEEDED', 'FAILED', 'CANCELLED'])[1 + g % 3], repeat('0', 64), 60, 1, 'old-replica',
					       now() - g * interval '1 second', now() - g * interval '1 second', now() - g * interval '1 second', 0
					  FROM generate_series(1, 1000000) g
					""").update();
			jdbc.sql("ANALYZE operation").update();
			double loadSeconds = (System.nanoTime() - start) / 1e9;
			Stats history = measure(jdbc, sql);
			System.out.println();
			System.out.println("== claim latency (one claim of one operation, as the executor issues it) ==");
			System.out.println(Stats.row("no finished operations", empty));
			System.out.println(Stats.row("1,000,000 finished operations", history));
			System.out.printf("ratio 1M-history/empty p50: %.2f, p99: %.2f (target: p99 < 5 ms); history loaded in %.0f s%n",
					history.p50() / empty.p50(), history.p99() / empty.p99(), loadSeconds);
			System.out.println("plan: " + String.join(" | ", jdbc.sql("""
					EXPLAIN SELECT q.id FROM operation q
					 WHERE q.status = 'QUEUED' AND q.engine IN ('ansible')
					   AND NOT EXISTS (SELECT 1 FROM operation a WHERE a.target = q.target AND a.status IN ('RUNNING', 'CANCELLING'))
					   AND NOT EXISTS (SELECT 1 FROM operation b WHERE b.target = q.target AND b.status = 'QUEUED'
					                     AND (b.created_at, b.id) < (q.created_at, q.id))
					 ORDER BY q.created_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED
					""").query(String.class).list()).replaceAll("\\s+", " "));
		}
	}

	// 200 queued operations on distinct targets; time 1,000 claims (the first 200 of each round warm up).
	private static Stats measure(JdbcClient jdbc, QueueSql sql) {
		List<Long> nanos = new ArrayList<>();
		for (int round = 0; round < 6; round++) {
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
					SELECT gen_random_uuid(), 'bench.noop', 'ansible', 'queued-' || gen_random_uuid(), 'localhost', '{}', '[]',
					       'QUEUED', repeat('0', 64), 60, clock_timestamp()
					  FROM generate_series(1, 200) g
					""").update();
			for (int i = 0; i < 200; i++) {
				long start = System.nanoTime();
				List<ClaimedOperation> claimed = sql.claim("bench", Set.of("ansible"), 1);
				long took = System.nanoTime() - start;
				if (round > 0) {
					nanos.add(took);
				}
				for (ClaimedOperation op : claimed) {
					sql.complete(op.id(), "bench", op.attempt(), "SUCCEEDED", 0, null, "{}");
				}
			}
		}
		return Stats.ofNanos(nanos);
	}

}
