package hosting.aegir.backend.operation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.bench.HttpLoad;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Poll: {@code GET /api/v1/operations/{id}} from 64 closed-loop clients with the front-end's bearer
 * token, for a finished operation (with task events and outputs), a running one, and the {@code 304}
 * answer to {@code If-None-Match}, against the trivial endpoint of the same application
 * ({@code /actuator/health/liveness}). Sides alternate within each round; ratios are per round.
 */
class PollBenchmark {

	private static final int CLIENTS = 64;

	private static final Duration ROUND = Duration.ofSeconds(4);

	private static final String LIVENESS = "GET /actuator/health/liveness";

	private static final String FINISHED = "GET operation, finished (200)";

	private static final String RUNNING = "GET operation, running (200)";

	private static final String NOT_MODIFIED = "GET operation, If-None-Match (304)";

	@Test
	void pollAgainstTrivialEndpoint() throws Exception {
		try (ConfigurableApplicationContext app = ApiBenchmarkApp.start("poll", "--aegir.executor.enabled=false")) {
			String base = ApiBenchmarkApp.base(app);
			JdbcClient jdbc = app.getBean(JdbcClient.class);
			UUID finished = submit(base, "bench-finished");
			UUID running = submit(base, "bench-running");
			// What an executor leaves behind, written directly: the executor is off so nothing moves them on.
			jdbc.sql("""
					UPDATE operation SET status = 'RUNNING', attempt = 1, claimed_by = 'bench-replica', started_at = now(),
					       heartbeat_at = now() WHERE id = :id
					""").param("id", running).update();
			event(jdbc, running, 1, "ok", false);
			jdbc.sql("""
					UPDATE operation SET status = 'RUNNING', attempt = 1, claimed_by = 'bench-replica', started_at = now(),
					       heartbeat_at = now() WHERE id = :id
					""").param("id", finished).update();
			event(jdbc, finished, 1, "ok", false);
			event(jdbc, finished, 2, "changed", true);
			event(jdbc, finished, 3, "ok", false);
			jdbc.sql("""
					UPDATE operation SET status = 'SUCCEEDED', exit_code = 0, finished_at = now(),
					       outputs = '{"cron_ran_at": "2026-11-26T00:00:00Z"}'::jsonb WHERE id = :id
					""").param("id", finished).update();
			String etag = etag(base, running);

			HttpLoad load = new HttpLoad();
			HttpRequest liveness = HttpLoad.get(base + "/actuator/health/liveness", ApiBenchmarkApp.SUBMITTER);
			HttpRequest getFinished = HttpLoad.get(base + "/api/v1/operations/" + finished, ApiBenchmarkApp.SUBMITTER);
			HttpRequest getRunning = HttpLoad.get(base + "/api/v1/operations/" + running, ApiBenchmarkApp.SUBMITTER);
			HttpRequest notModified = HttpRequest.newBuilder(URI.create(base + "/api/v1/operations/" + running))
				.header("Authorization", "Bearer " + ApiBenchmarkApp.SUBMITTER)
				.header("If-None-Match", etag)
				.GET()
				.build();
			Bench bench = new Bench("poll");
			bench.compare("poll", 3, 5, Side.of(LIVENESS, "req/s", () -> load.run(CLIENTS, ROUND, 200, i -> liveness)),
					Side.of(FINISHED, "req/s", () -> load.run(CLIENTS, ROUND, 200, i -> getFinished)),
					Side.of(RUNNING, "req/s", () -> load.run(CLIENTS, ROUND, 200, i -> getRunning)),
					Side.of(NOT_MODIFIED, "req/s", () -> load.run(CLIENTS, ROUND, 304, i -> notModified)));
			bench.ratio("poll finished / liveness", FINISHED, LIVENESS, Target.atLeast(0.5));
			bench.ratio("poll running / liveness", RUNNING, LIVENESS, Target.atLeast(0.5));
			bench.ratio("poll 304 / liveness", NOT_MODIFIED, LIVENESS, Target.atLeast(0.8));
			bench.note(CLIENTS + " closed-loop clients (JDK HttpClient, HTTP/1.1, same JVM), " + ROUND.toSeconds()
					+ " s per side per round; executor off; the 304 side polls the running operation");
			bench.finish();
		}
	}

	private static UUID submit(String base, String target) throws Exception {
		HttpResponse<String> created = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/operations"))
				.header("Authorization", "Bearer " + ApiBenchmarkApp.SUBMITTER)
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(AcceptBenchmark.body(target)))
				.build(), HttpResponse.BodyHandlers.ofString());
		if (created.statusCode() != 202) {
			throw new IllegalStateException("submit answered " + created.statusCode() + ": " + created.body());
		}
		return UUID.fromString(created.headers().firstValue("Location").orElseThrow().replaceAll(".*/", ""));
	}

	private static String etag(String base, UUID id) throws Exception {
		HttpResponse<String> read = HttpClient.newHttpClient()
			.send(HttpLoad.get(base + "/api/v1/operations/" + id, ApiBenchmarkApp.SUBMITTER), HttpResponse.BodyHandlers.ofString());
		return read.headers().firstValue("ETag").orElseThrow();
	}

	private static void event(JdbcClient jdbc, UUID id, long seq, String status, boolean changed) {
		jdbc.sql("""
				INSERT INTO operation_event (operation_id, seq, at, task_index, task, role, host, status, changed, duration_ms)
				VALUES (:id, :seq, now(), 0, 'Run cron', 'aegir.RunDrupalCron', 'localhost', :status, :changed, 120)
				""").param("id", id).param("seq", seq).param("status", status).param("changed", changed).update();
	}

}
