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
import hosting.aegir.backend.support.SchemaJdbc;
import hosting.aegir.backend.support.TcpProxy;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database goes away mid-run for longer than stale-after (both replicas reach it
 * through a proxy the test cuts), then comes back. Readiness goes DOWN and UP again, a
 * submit meanwhile gets a 503 problem, runs that end during the outage keep retrying
 * their result until it is stored, nothing running is reaped or run twice, and the LISTEN
 * connections come back.
 */
class DatabaseOutageTest {

	private static final Duration STALE_AFTER = Duration.ofSeconds(5);

	// Longer than stale-after, and than the pool's connection timeout, so readiness sees
	// it.
	private static final Duration OUTAGE = Duration.ofSeconds(14);

	@Test
	void anOutageLongerThanStaleAfterReapsNothingAndLosesNothing() throws Exception {
		String schema = TestDatabase.get().newSchema();
		JdbcClient db = SchemaJdbc.on(schema);
		EngineObservations engine = new EngineObservations();
		try (TcpProxy proxy = TcpProxy.forTestDatabase();
				ConfigurableApplicationContext a = replica(proxy, schema, engine, "replica-a");
				ConfigurableApplicationContext b = replica(proxy, schema, engine, "replica-b")) {
			ApiClient api = new ApiClient(a.getEnvironment().getRequiredProperty("local.server.port", Integer.class));
			List<UUID> accepted = new ArrayList<>();
			// Some end during the outage (their result must wait for the database), some
			// after it.
			for (int i = 0; i < 6; i++) {
				accepted.add(submit(api, "site-outage-" + i, i % 2 == 0 ? 6_000 : 22_000));
			}
			await("all six run").atMost(Duration.ofSeconds(30))
				.until(() -> accepted.stream().allMatch(id -> engine.runs(id) == 1));

			proxy.cut();
			long cutAt = System.nanoTime();
			await("readiness is DOWN").atMost(Duration.ofSeconds(30)).until(() -> readiness(api) == 503);
			HttpResponse<String> refused = api.post("/api/v1/operations", SUBMITTER,
					api.write(ApiClient.submission("site-refused")));
			assertThat(refused.statusCode()).isEqualTo(503);
			assertThat(refused.headers().firstValue("Content-Type"))
				.hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
			assertThat(api.json(refused).get("type").asString()).endsWith("/database-unavailable");
			long left = OUTAGE.toNanos() - (System.nanoTime() - cutAt);
			if (left > 0) {
				Thread.sleep(left / 1_000_000);
			}
			proxy.restore();

			await("readiness is UP again").atMost(Duration.ofSeconds(60)).until(() -> readiness(api) == 200);
			await("every accepted operation has ended").atMost(Duration.ofSeconds(90))
				.until(() -> db
					.sql("SELECT count(*) FROM operation WHERE status NOT IN ('QUEUED', 'RUNNING', 'CANCELLING')")
					.query(Long.class)
					.single() == accepted.size());
			for (UUID id : accepted) {
				Map<String, Object> row = db.sql("SELECT status, attempt, reason FROM operation WHERE id = ?")
					.param(id)
					.query()
					.singleRow();
				assertThat(row).as(id.toString())
					.containsEntry("status", "SUCCEEDED")
					.containsEntry("attempt", 1)
					.containsEntry("reason", null);
				assertThat(engine.runs(id)).as("runs of " + id).isEqualTo(1);
			}
			assertThat(
					db.sql("SELECT count(*) FROM operation WHERE target = 'site-refused'").query(Long.class).single())
				.isZero();

			String listeners = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '"
					+ QueueNotifications.APPLICATION_NAME + "' AND backend_start > now() - make_interval(secs => ?)";
			long sinceRestore = (System.nanoTime() - cutAt - OUTAGE.toNanos()) / 1_000_000_000 + 1;
			assertThat(db.sql(listeners).param(sinceRestore).query(Long.class).single()).isGreaterThanOrEqualTo(2);
			// Woken by NOTIFY on the new LISTEN connections: the fallback poll is a
			// minute away.
			UUID after = submit(api, "site-after-outage", 0);
			await("an operation submitted after the outage runs").atMost(Duration.ofSeconds(30))
				.until(() -> db.sql("SELECT status FROM operation WHERE id = ?")
					.param(after)
					.query(String.class)
					.single(), "SUCCEEDED"::equals);
		}
	}

	private static ConfigurableApplicationContext replica(TcpProxy proxy, String schema, EngineObservations engine,
			String id) {
		return Replica.startOn(proxy.jdbcUrl(), schema, engine, "aegir.executor.replica-id=" + id,
				"aegir.executor.stale-after=" + STALE_AFTER.toSeconds() + "s",
				"aegir.executor.heartbeat-interval=500ms", "aegir.executor.poll-interval=60s",
				"spring.datasource.hikari.connection-timeout=2000", "aegir.executor.shutdown-grace=2s");
	}

	private static UUID submit(ApiClient api, String target, int sleepMs) {
		Map<String, Object> body = new HashMap<>(ApiClient.submission(target));
		body.put("vars", Map.of("sleep_ms", sleepMs));
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

	private static int readiness(ApiClient api) {
		try {
			return api.get("/actuator/health/readiness", null).statusCode();
		}
		catch (RuntimeException ex) {
			return -1;
		}
	}

}
