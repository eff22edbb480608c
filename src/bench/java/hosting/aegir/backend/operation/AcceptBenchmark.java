package hosting.aegir.backend.operation;

import java.net.URI;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.bench.HttpLoad;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Accept: {@code POST /api/v1/operations} from 32 closed-loop clients with the front-end's bearer
 * token and the executor off (so only the accept path runs), against the trivial endpoint of the
 * same application ({@code /actuator/health/liveness}, same token, same clients) and against the
 * same row inserted by plain JDBC through the same pool by 32 threads. Sides alternate within each
 * round; the ratios are per round.
 */
class AcceptBenchmark {

	private static final int CLIENTS = 32;

	private static final Duration ROUND = Duration.ofSeconds(5);

	// A real catalog task with its request path inside the default platforms root.
	static final String BODY = body("bench-site");

	static String body(String target) {
		return """
				{"type":"site.cron","engine":"ansible","target":"%s","hosts":"localhost",
				 "vars":{"site_uri":"bench.example.org","site_root":"/var/aegir/platforms/d10/web"},
				 "tasks":[{"name":"aegir.RunDrupalCron"}]}
				""".formatted(target);
	}

	@Test
	void acceptAgainstTrivialEndpointAndPlainInsert() throws Exception {
		try (ConfigurableApplicationContext app = ApiBenchmarkApp.start("accept", "--aegir.executor.enabled=false")) {
			String base = ApiBenchmarkApp.base(app);
			DataSource pool = app.getBean(DataSource.class);
			HttpLoad load = new HttpLoad();
			HttpRequest liveness = HttpLoad.get(base + "/actuator/health/liveness", ApiBenchmarkApp.SUBMITTER);
			HttpRequest submit = HttpRequest.newBuilder(URI.create(base + "/api/v1/operations"))
				.header("Authorization", "Bearer " + ApiBenchmarkApp.SUBMITTER)
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(BODY))
				.build();
			Bench bench = new Bench("accept");
			bench.compare("accept", 3, 5,
					Side.of("GET /actuator/health/liveness", "req/s", () -> load.run(CLIENTS, ROUND, 200, i -> liveness)),
					Side.of("POST /api/v1/operations (202)", "req/s", () -> load.run(CLIENTS, ROUND, 202, i -> submit)),
					Side.of("plain JDBC INSERT of the same row", "rows/s", () -> plainInserts(pool)));
			bench.ratio("accept / liveness", "POST /api/v1/operations (202)", "GET /actuator/health/liveness",
					Target.atLeast(0.4));
			bench.ratio("accept / plain insert", "POST /api/v1/operations (202)", "plain JDBC INSERT of the same row",
					Target.none());
			bench.note(CLIENTS + " closed-loop clients (JDK HttpClient, HTTP/1.1, same JVM), " + ROUND.toSeconds()
					+ " s per side per round; executor off; real Ansible catalog; Hikari pool of 10");
			bench.finish();
		}
	}

	// What the service stores for BODY, as one autocommitted INSERT per row from 32 threads.
	private static double plainInserts(DataSource pool) throws Exception {
		ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
		AtomicLong done = new AtomicLong();
		CountDownLatch start = new CountDownLatch(1);
		long[] window = new long[2];
		List<Future<?>> futures = new ArrayList<>();
		for (int c = 0; c < CLIENTS; c++) {
			futures.add(threads.submit(() -> {
				start.await();
				while (System.nanoTime() < window[1]) {
					try (Connection connection = pool.getConnection();
							PreparedStatement insert = connection.prepareStatement("""
									INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, outputs,
									                       secret_vars, request_hash, timeout_seconds, retry, max_attempts)
									VALUES (?, 'site.cron', 'ansible', 'bench-site', 'localhost', ?::jsonb, ?::jsonb, 'QUEUED',
									        '{}'::jsonb, '[]'::jsonb, ?, 3600, false, 1)
									""")) {
						insert.setObject(1, UUID.randomUUID());
						insert.setString(2, "{\"site_uri\":\"bench.example.org\",\"site_root\":\"/var/aegir/platforms/d10/web\"}");
						insert.setString(3, "[{\"name\":\"aegir.RunDrupalCron\",\"vars\":{}}]");
						insert.setString(4, "0".repeat(64));
						insert.executeUpdate();
					}
					done.incrementAndGet();
				}
				return null;
			}));
		}
		window[0] = System.nanoTime();
		window[1] = window[0] + ROUND.toNanos();
		start.countDown();
		for (Future<?> future : futures) {
			future.get();
		}
		long elapsed = System.nanoTime() - window[0];
		threads.shutdown();
		return done.get() / (elapsed / 1e9);
	}

}
