package hosting.aegir.backend.queue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

/**
 * Depth: the claim's latency (one claim of one operation, as the executor issues it) with
 * {@value #SHALLOW} against {@value #DEEP} queued operations, in two shapes:
 * <ol>
 * <li>many targets: every queued operation on a target of its own (the head of the queue can always
 * run);</li>
 * <li>few targets with long histories: {@value #FEW_TARGETS} targets with {@value #HISTORY_PER_TARGET}
 * finished operations each, the queue spread over them, so nearly every queued operation waits behind
 * an older one of its target and the claim must step over them.</li>
 * </ol>
 * Each depth has a schema (and an idle replica) of its own, both up at once, so rounds alternate. A
 * round times {@value #CLAIMS} claims, completing each and queueing as many again at the back, so the
 * depth stays what it says.
 */
class ClaimLatencyBenchmark {

	private static final int SHALLOW = 1_000;

	private static final int DEEP = 100_000;

	private static final int FEW_TARGETS = 20;

	private static final int HISTORY_PER_TARGET = 5_000;

	private static final int CLAIMS = 200;

	private final Map<String, List<Double>> p99s = new HashMap<>();

	@Test
	void claimLatencyDoesNotGrowWithTheQueueOrTheHistory() {
		Bench bench = new Bench("depth");
		shape(bench, "many targets", false);
		shape(bench, "few targets, long histories", true);
		bench.note(CLAIMS + " claims a round, each completed and replaced by a new queued operation at the back;"
				+ " few targets: " + FEW_TARGETS + " targets with " + HISTORY_PER_TARGET + " finished operations each");
		bench.finish();
	}

	private void shape(Bench bench, String shape, boolean fewTargets) {
		try (ConfigurableApplicationContext shallow = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
				"aegir.executor.enabled=false", "logging.level.root=warn");
				ConfigurableApplicationContext deep = Replica.start(TestDatabase.get().newSchema(), new EngineObservations(),
						"aegir.executor.enabled=false", "logging.level.root=warn")) {
			load(shallow.getBean(JdbcClient.class), SHALLOW, fewTargets);
			load(deep.getBean(JdbcClient.class), DEEP, fewTargets);
			String small = String.format("%s, %,d queued: p50", shape, SHALLOW);
			String big = String.format("%s, %,d queued: p50", shape, DEEP);
			bench.compare(shape, 1, 5, Side.of(small, "ms", () -> measure(shallow, small, fewTargets)),
					Side.of(big, "ms", () -> measure(deep, big, fewTargets)));
			recordP99(bench, small);
			recordP99(bench, big);
			bench.ratio(shape + ": p50 deep / shallow", big, small, Target.atMost(1.5));
			bench.ratio(shape + ": p99 deep / shallow", p99(big), p99(small), Target.none());
			bench.note(shape + ", plan of the window step on the deep queue: " + String.join(" | ", deep.getBean(JdbcClient.class)
				.sql("EXPLAIN " + OperationStore.CLAIM_IN_WINDOW.replace(":replica", "'bench'")
					.replace(":engines", "'ansible'").replace(":limit", "1"))
				.query(String.class).list()).replaceAll("\\s+", " "));
		}
	}

	private void recordP99(Bench bench, String label) {
		// The warm-up round is recorded too: keep the measured rounds.
		List<Double> all = p99s.get(label);
		bench.record(p99(label), "ms", all.subList(1, all.size()).stream().mapToDouble(Double::doubleValue).toArray());
	}

	private static String p99(String p50Label) {
		return p50Label.replace(": p50", ": p99");
	}

	private static void load(JdbcClient jdbc, int queued, boolean fewTargets) {
		if (fewTargets) {
			jdbc.sql("""
					INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
					                       attempt, claimed_by, created_at, started_at, finished_at, exit_code)
					SELECT gen_random_uuid(), 'site.backup', 'ansible', 'site-' || (g % :targets), 'localhost', '{}', '[]',
					       (ARRAY['SUCCEEDED', 'FAILED', 'CANCELLED'])[1 + g % 3], repeat('0', 64), 60, 1, 'old-replica',
					       now() - interval '1 day' + g * interval '1 millisecond', now() - interval '1 day',
					       now() - interval '1 day', 0
					  FROM generate_series(1, :rows) g
					""").param("targets", FEW_TARGETS).param("rows", FEW_TARGETS * HISTORY_PER_TARGET).update();
		}
		queue(jdbc, queued, fewTargets, "q");
		jdbc.sql("VACUUM ANALYZE operation").update();
	}

	private static void queue(JdbcClient jdbc, int count, boolean fewTargets, String prefix) {
		jdbc.sql("""
				INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
				SELECT gen_random_uuid(), 'bench.noop', 'ansible',
				       CASE WHEN :few THEN 'site-' || (g % :targets) ELSE :prefix || '-' || g END,
				       'localhost', '{}', '[]', 'QUEUED', repeat('0', 64), 60, clock_timestamp()
				  FROM generate_series(1, :count) g
				""").param("few", fewTargets).param("targets", FEW_TARGETS).param("prefix", prefix).param("count", count).update();
	}

	private int topUps;

	private double measure(ConfigurableApplicationContext context, String label, boolean fewTargets) {
		OperationStore sql = context.getBean(OperationStore.class);
		List<Long> nanos = new ArrayList<>();
		for (int i = 0; i < CLAIMS; i++) {
			long start = System.nanoTime();
			List<ClaimedOperation> claimed = sql.claim("bench", Set.of("ansible"), 1);
			nanos.add(System.nanoTime() - start);
			if (claimed.isEmpty()) {
				throw new AssertionError("nothing claimable in " + label);
			}
			for (ClaimedOperation op : claimed) {
				sql.complete(op.id(), "bench", op.attempt(), OperationStatus.SUCCEEDED, 0, null, "{}");
			}
		}
		queue(context.getBean(JdbcClient.class), CLAIMS, fewTargets, "top-" + (++topUps));
		Stats stats = Stats.ofNanos(nanos);
		p99s.computeIfAbsent(label, k -> new ArrayList<>()).add(stats.p99());
		return stats.p50();
	}

}
