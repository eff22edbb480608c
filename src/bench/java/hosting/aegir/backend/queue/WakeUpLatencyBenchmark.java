package hosting.aegir.backend.queue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.awaitility.Awaitility.await;

/**
 * Dispatch: time from the API's 202 to the engine starting the run, with free executor slots: a
 * replica woken by NOTIFY against one that only polls (as db-scheduler or Quartz-style schedulers
 * do). Both replicas (each on a schema of its own) are up at once, so rounds alternate.
 */
class WakeUpLatencyBenchmark {

	private static final int NOTIFIED_PER_ROUND = 100;

	private static final int POLLED_PER_ROUND = 10;

	// Figures measured beside each round's p50, by label, one value a round.
	private final Map<String, List<Double>> extraFigures = new HashMap<>();

	@Test
	void notifyAgainstPolling() {
		EngineObservations notifiedEngine = new EngineObservations();
		EngineObservations polledEngine = new EngineObservations();
		Bench bench = new Bench("dispatch");
		try (ConfigurableApplicationContext notified = Replica.start(TestDatabase.get().newSchema(), notifiedEngine,
				"aegir.executor.poll-interval=5s", "logging.level.root=warn");
				ConfigurableApplicationContext polled = Replica.start(TestDatabase.get().newSchema(), polledEngine,
						"aegir.executor.notifications=false", "aegir.executor.poll-interval=500ms", "logging.level.root=warn")) {
			String notify = "NOTIFY wake-up: 202 → running, p50";
			String poll = "poll every 500 ms: 202 → running, p50";
			bench.compare("202 → running", 1, 5,
					Side.of(notify, "ms", () -> measure(notified, notifiedEngine, NOTIFIED_PER_ROUND, notify)),
					Side.of(poll, "ms", () -> measure(polled, polledEngine, POLLED_PER_ROUND, poll)));
			record(bench, notify);
			record(bench, poll);
			bench.ratio("polling / NOTIFY, POST sent → running, p50", sent(poll), sent(notify), Target.none());
			bench.target("NOTIFY p50", notify, Target.atMost(10));
			bench.target("NOTIFY p99", notify.replace("p50", "p99"), Target.atMost(50));
			bench.note("no-op engine, free slots; each submission on its own target, one at a time; " + NOTIFIED_PER_ROUND
					+ " (NOTIFY) and " + POLLED_PER_ROUND + " (polling) submissions a round; p99 is each round's");
			bench.finish();
		}
	}

	// The p99 of each round, and both percentiles from the POST being sent (the 202 can arrive after
	// the run started, which makes 202 → running 0).
	private void record(Bench bench, String p50Label) {
		for (String label : List.of(p50Label.replace("p50", "p99"), sent(p50Label), sent(p50Label).replace("p50", "p99"))) {
			List<Double> all = extraFigures.get(label);
			// The warm-up round is recorded too: keep the measured rounds.
			bench.record(label, "ms", all.subList(1, all.size()).stream().mapToDouble(Double::doubleValue).toArray());
		}
	}

	private static String sent(String label) {
		return label.replace("202 → running", "POST sent → running");
	}

	private double measure(ConfigurableApplicationContext replica, EngineObservations engine, int count, String label) {
		ApiClient api = new ApiClient(((WebServerApplicationContext) replica).getWebServer().getPort());
		List<Long> afterAccepted = new ArrayList<>();
		List<Long> afterSent = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			Map<String, Object> body = new HashMap<>(ApiClient.submission("site-" + UUID.randomUUID()));
			body.put("vars", Map.of("lines", 0));
			String json = api.write(body);
			long sent = System.nanoTime();
			HttpResponse<String> response = api.post("/api/v1/operations", ApiClient.SUBMITTER, json);
			long accepted = System.nanoTime();
			UUID id = UUID.fromString(api.json(response).get("id").asString());
			await("operation started").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> engine.startNanos(id) != null);
			await("operation ended").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> engine.ended(id));
			afterAccepted.add(Math.max(0, engine.startNanos(id) - accepted));
			afterSent.add(engine.startNanos(id) - sent);
		}
		Stats stats = Stats.ofNanos(afterAccepted);
		Stats fromSent = Stats.ofNanos(afterSent);
		extraFigures.computeIfAbsent(label.replace("p50", "p99"), k -> new ArrayList<>()).add(stats.p99());
		extraFigures.computeIfAbsent(sent(label), k -> new ArrayList<>()).add(fromSent.p50());
		extraFigures.computeIfAbsent(sent(label).replace("p50", "p99"), k -> new ArrayList<>()).add(fromSent.p99());
		return stats.p50();
	}

}
