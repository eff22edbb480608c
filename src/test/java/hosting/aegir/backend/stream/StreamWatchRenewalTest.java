package hosting.aegir.backend.stream;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EventStream;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
import static org.awaitility.Awaitility.await;

/**
 * A replica's stream hub keeps the watch of what it streams alive for as long as the
 * stream is open, past the watch's own lifetime, and drops it at the first look after the
 * stream closed (which the server learns at the next keep-alive it cannot write).
 */
// Closed after the class: the local PostgreSQL's connections are shared by every context
// a run caches.
@DirtiesContext
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.executor.enabled=false", "aegir.stream.poll-interval=300ms",
				// The server learns that a client left when a write to it fails.
				"aegir.stream.keep-alive=500ms" })
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamWatchRenewalTest {

	@LocalServerPort
	int port;

	@Autowired
	JdbcClient jdbc;

	@Test
	void anOpenStreamStaysWatchedAndAClosedOneIsDropped() {
		ApiClient api = new ApiClient(port);
		UUID id = UUID.fromString(
				api.json(api.post("/api/v1/operations", SUBMITTER, api.write(ApiClient.submission("site-renewal"))))
					.get("id")
					.asString());
		HttpClient http = EventStream.client();
		try (EventStream stream = EventStream.open(http, port, "/api/v1/operations/" + id + "/stream", VIEWER, null)) {
			assertThat(stream.next().name()).isEqualTo("status");
			OffsetDateTime first = expiry(id).get(0);
			// A watch lasts 3 looks + 10 s unrenewed: past that, only renewals keep it.
			await("the watch has outlived its first lifetime").pollDelay(Duration.ofSeconds(12))
				.atMost(Duration.ofSeconds(30))
				.until(() -> true);
			List<OffsetDateTime> now = expiry(id);
			assertThat(now).hasSize(1);
			assertThat(now.get(0)).isAfter(first.plusSeconds(10));
			assertThat(jdbc.sql("SELECT expires_at > now() FROM stream_watch WHERE operation_id = ?")
				.param(id)
				.query(Boolean.class)
				.single()).isTrue();
		}
		await("the closed stream's watch is dropped").atMost(Duration.ofSeconds(10)).until(() -> expiry(id).isEmpty());
	}

	private List<OffsetDateTime> expiry(UUID id) {
		return jdbc.sql("SELECT expires_at FROM stream_watch WHERE operation_id = ?")
			.param(id)
			.query(OffsetDateTime.class)
			.list();
	}

}
