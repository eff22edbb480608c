package hosting.aegir.backend.stream;

import java.net.http.HttpClient;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EventStream;
import hosting.aegir.backend.support.EventStream.Event;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notifications on {@code aegir_output} go out for streamed operations only (V13): a
 * change of an operation nobody streams commits without one, a watched operation's status
 * changes and log lines send one, a lapsed watch sends none again. And a stream opened on
 * a replica whose fallback look is ten minutes away still gets what another party writes
 * at once: the hub watched the operation before its first read.
 */
// Closed after the class: the local PostgreSQL's connections are shared by every context
// a run caches.
@DirtiesContext
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.executor.enabled=false", "aegir.stream.poll-interval=10m" })
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamWatchTest {

	private static final String CHANNEL = "aegir_output";

	@LocalServerPort
	int port;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	StreamSql sql;

	@Autowired
	DataSource dataSource;

	@Test
	void onlyWatchedOperationsNotify() throws Exception {
		ApiClient api = new ApiClient(port);
		UUID id = submit(api, "site-watch-1");
		try (Connection listener = dataSource.getConnection()) {
			listener.createStatement().execute("LISTEN " + CHANNEL);
			try {
				assertNotifiedOnlyWhileWatched(listener.unwrap(PGConnection.class), id);
			}
			finally {
				// The connection goes back to the pool: not listening.
				listener.createStatement().execute("UNLISTEN *");
			}
		}
	}

	private void assertNotifiedOnlyWhileWatched(PGConnection pg, UUID id) throws Exception {
		logLine(id, 1);
		setStatus(id, "RUNNING");
		assertThat(notificationsFor(pg, id, Duration.ofSeconds(2))).as("nobody streams it").isZero();

		UUID hub = UUID.randomUUID();
		sql.watch(hub, List.of(id), Duration.ofMinutes(1));
		logLine(id, 2);
		assertThat(notificationsFor(pg, id, Duration.ofSeconds(5))).as("a log line of a watched operation")
			.isEqualTo(1);
		setStatus(id, "CANCELLING");
		assertThat(notificationsFor(pg, id, Duration.ofSeconds(5))).as("a status change of a watched operation")
			.isEqualTo(1);

		sql.watch(hub, List.of(id), Duration.ofMillis(200));
		Thread.sleep(400);
		logLine(id, 3);
		assertThat(notificationsFor(pg, id, Duration.ofSeconds(2))).as("the watch has lapsed").isZero();
	}

	@Test
	void aLookRenewsWhatIsStreamedAndDropsWhatIsNoLonger() {
		UUID hub = UUID.randomUUID();
		UUID otherHub = UUID.randomUUID();
		UUID closed = UUID.randomUUID();
		UUID registering = UUID.randomUUID();
		UUID streamed = UUID.randomUUID();
		// Watched at an earlier look (a minute left of ten), and just now by a new
		// stream.
		jdbc.sql(
				"INSERT INTO stream_watch VALUES (?, ?, now() + interval '1 minute'), (?, ?, now() + interval '10 minutes'),"
						+ " (?, ?, now() + interval '1 minute'), (?, ?, now() + interval '1 minute')")
			.params(closed, hub, registering, hub, streamed, hub, closed, otherHub)
			.update();
		sql.watchOnly(hub, List.of(streamed, streamed), Duration.ofMinutes(10), Duration.ofSeconds(5));
		assertThat(jdbc
			.sql("SELECT operation_id, hub, expires_at > now() + interval '9 minutes' AS renewed"
					+ " FROM stream_watch WHERE hub IN (?, ?) ORDER BY hub = ?, operation_id")
			.params(hub, otherHub, hub)
			.query((rs, n) -> rs.getObject(1) + (rs.getObject(2).equals(hub) ? "" : " (other hub)")
					+ (rs.getBoolean(3) ? " renewed" : ""))
			.list())
			.containsExactlyInAnyOrder(closed + " (other hub)", registering + " renewed", streamed + " renewed");
	}

	@Test
	void lapsedWatchesOfAnyHubAreForgotten() {
		UUID gone = UUID.randomUUID();
		UUID live = UUID.randomUUID();
		jdbc.sql("INSERT INTO stream_watch (operation_id, hub, expires_at) VALUES (?, ?, now() - interval '2 minutes')")
			.params(gone, UUID.randomUUID())
			.update();
		sql.watch(UUID.randomUUID(), List.of(live), Duration.ofMinutes(1));
		sql.forgetLapsedWatches();
		assertThat(jdbc.sql("SELECT operation_id FROM stream_watch WHERE operation_id IN (?, ?)")
			.params(gone, live)
			.query(UUID.class)
			.list()).containsExactly(live);
	}

	@Test
	void aStreamHearsOfNewsAtOnceThoughItsFallbackLookIsFarAway() throws Exception {
		ApiClient api = new ApiClient(port);
		UUID id = submit(api, "site-watch-2");
		HttpClient http = EventStream.client();
		try (EventStream stream = EventStream.open(http, port, "/api/v1/operations/" + id + "/stream", VIEWER, null)) {
			assertThat(stream.status()).isEqualTo(200);
			assertThat(next(stream).name()).isEqualTo("status");
			// Another replica's writes, as the database sees them.
			logLine(id, 1);
			Event line = next(stream);
			assertThat(line.name()).isEqualTo("log");
			assertThat(line.data()).contains("line 1");
			setStatus(id, "CANCELLED");
			Event status = next(stream);
			assertThat(status.name()).isEqualTo("status");
			assertThat(status.data()).contains("\"status\":\"CANCELLED\"");
		}
	}

	private UUID submit(ApiClient api, String target) {
		return UUID
			.fromString(api.json(api.post("/api/v1/operations", SUBMITTER, api.write(ApiClient.submission(target))))
				.get("id")
				.asString());
	}

	private void logLine(UUID id, long seq) {
		jdbc.sql("INSERT INTO operation_log (operation_id, seq, at, stream, text) VALUES (?, ?, now(), 'stdout', ?)")
			.params(id, seq, "line " + seq)
			.update();
	}

	private void setStatus(UUID id, String status) {
		jdbc.sql("UPDATE operation SET status = ?, finished_at = CASE WHEN ? = 'CANCELLED' THEN now() END WHERE id = ?")
			.params(status, status, id)
			.update();
	}

	// The notifications naming this operation within the wait (other tests' schemas share
	// the channel).
	private static int notificationsFor(PGConnection pg, UUID id, Duration wait) throws Exception {
		List<PGNotification> heard = new ArrayList<>();
		long deadline = System.nanoTime() + wait.toNanos();
		while (System.nanoTime() < deadline) {
			PGNotification[] batch = pg.getNotifications((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
			if (batch != null) {
				for (PGNotification n : batch) {
					if (n.getParameter().equals(id.toString())) {
						heard.add(n);
					}
				}
			}
		}
		return heard.size();
	}

	// The next event within 15 s: the fallback look is 10 minutes away, so only a
	// notification brings it.
	private static Event next(EventStream stream) throws Exception {
		return CompletableFuture.supplyAsync(stream::next).get(15, TimeUnit.SECONDS);
	}

}
