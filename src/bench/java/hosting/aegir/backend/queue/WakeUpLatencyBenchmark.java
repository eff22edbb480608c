package hosting.aegir.backend.queue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static org.awaitility.Awaitility.await;

/**
 * Time from the API's 202 to the engine starting the run, with free executor slots: a replica woken
 * by NOTIFY against one that only polls (as db-scheduler or Quartz-style schedulers do), in one run.
 */
class WakeUpLatencyBenchmark {

	@Test
	void notifyAgainstPolling() {
		Result notified = measure(1000, "aegir.executor.poll-interval=5s");
		Result polled = measure(100, "aegir.executor.notifications=false", "aegir.executor.poll-interval=500ms");
		System.out.println();
		System.out.println("== 202 → RUNNING (engine started), free slots, no-op engine ==");
		System.out.println(Stats.row("NOTIFY wake-up: 202 → running", notified.afterAccepted));
		System.out.println(Stats.row("NOTIFY wake-up: POST sent → running", notified.afterSent));
		System.out.println(Stats.row("poll every 500 ms: 202 → running", polled.afterAccepted));
		System.out.println(Stats.row("poll every 500 ms: POST sent → running", polled.afterSent));
		System.out.printf("ratio polling/NOTIFY, POST sent → running: p50 %.1fx, p99 %.1fx "
				+ "(targets for NOTIFY, 202 → running: p50 ≤ 10 ms, p99 ≤ 50 ms)%n",
				polled.afterSent.p50() / notified.afterSent.p50(), polled.afterSent.p99() / notified.afterSent.p99());
	}

	private record Result(Stats afterAccepted, Stats afterSent) {
	}

	private Result measure(int count, String... properties) {
		EngineObservations engine = new EngineObservations();
		String[] all = new String[properties.length + 1];
		System.arraycopy(properties, 0, all, 0, properties.length);
		all[properties.length] = "logging.level.root=warn";
		try (ConfigurableApplicationContext replica = Replica.start(TestDatabase.get().newSchema(), engine, all)) {
			ApiClient api = new ApiClient(((WebServerApplicationContext) replica).getWebServer().getPort());
			List<Long> afterAccepted = new ArrayList<>();
			List<Long> afterSent = new ArrayList<>();
			for (int i = -20; i < count; i++) {
				Map<String, Object> body = new HashMap<>(ApiClient.submission("site-" + UUID.randomUUID()));
				body.put("vars", Map.of("lines", 0));
				long sent = System.nanoTime();
				HttpResponse<String> response = api.post("/api/v1/operations", ApiClient.SUBMITTER, api.write(body));
				long accepted = System.nanoTime();
				UUID id = UUID.fromString(api.json(response).get("id").asString());
				await("operation started").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> engine.startNanos(id) != null);
				await("operation ended").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> engine.ended(id));
				if (i >= 0) { // the first 20 warm the JIT and the pools
					long started = engine.startNanos(id);
					afterAccepted.add(Math.max(0, started - accepted));
					afterSent.add(started - sent);
				}
			}
			return new Result(Stats.ofNanos(afterAccepted), Stats.ofNanos(afterSent));
		}
	}

}
