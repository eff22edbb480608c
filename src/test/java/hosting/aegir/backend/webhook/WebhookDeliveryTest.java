package hosting.aegir.backend.webhook;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import hosting.aegir.backend.webhook.WebhookReceiver.Answer;
import hosting.aegir.backend.webhook.WebhookReceiver.Received;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Webhooks against a local receiver: signed so the receiver can verify them, retried with
 * back-off through errors and redirects (never followed) until a 2xx, sent for every
 * terminal state, their delivery visible on the operation; callbacks outside the
 * allow-list refused at submit.
 */
// Closed after the class: the local PostgreSQL's connections are shared by every context
// a run caches.
@DirtiesContext
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.webhooks.allowed-hosts=127.0.0.1:*", "aegir.webhooks.allow-http=true",
				"aegir.webhooks.secret=" + WebhookDeliveryTest.SECRET, "aegir.webhooks.initial-backoff=200ms",
				"aegir.webhooks.max-backoff=1s", "aegir.webhooks.timeout=5s", "aegir.webhooks.poll-interval=500ms" })
class WebhookDeliveryTest {

	static final String SECRET = "test-webhook-secret-0123456789";

	private static final Duration WAIT = Duration.ofSeconds(60);

	@LocalServerPort
	int port;

	@Autowired
	JdbcClient jdbc;

	ApiClient api;

	private final JsonMapper json = JsonMapper.builder().build();

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
	}

	@Test
	void aSignedWebhookIsRetriedThroughErrorsAndRedirectsUntilAccepted() throws Exception {
		try (WebhookReceiver receiver = new WebhookReceiver(n -> switch (n) {
			case 0 -> Answer.of(500);
			case 1 -> new Answer(302, "/elsewhere", false);
			case 2 -> Answer.of(503);
			default -> Answer.of(200);
		})) {
			UUID id = submit("site-hook-" + UUID.randomUUID(), receiver.url("/hooks/aegir?site=1"), Map.of("lines", 2));
			JsonNode op = awaitCallback(id, "DELIVERED");

			assertThat(receiver.requests).hasSize(4).allSatisfy(r -> assertThat(r.path()).isEqualTo("/hooks/aegir"));
			JsonNode callback = op.get("callback");
			assertThat(callback.get("attempts").asInt()).isEqualTo(4);
			assertThat(callback.get("lastStatusCode").asInt()).isEqualTo(200);
			assertThat(callback.has("deliveredAt")).isTrue();
			String deliveryId = callback.get("id").asString();
			for (Received request : receiver.requests) {
				assertThat(request.header("Aegir-Webhook-Id")).isEqualTo(deliveryId);
				assertThat(request.header("Content-Type")).isEqualTo("application/json");
				long timestamp = Long.parseLong(request.header("Aegir-Webhook-Timestamp"));
				assertThat(Math.abs(Instant.now().getEpochSecond() - timestamp)).isLessThan(300);
				// What a receiver does: recompute the HMAC over "<timestamp>.<body>" with
				// the shared secret.
				assertThat(request.header("Aegir-Webhook-Signature"))
					.isEqualTo("v1=" + hmac(SECRET, timestamp, request.body()));
				assertThat(request.header("Aegir-Webhook-Signature"))
					.isNotEqualTo("v1=" + hmac("another-secret-0123456789", timestamp, request.body()));
				JsonNode body = json.readTree(request.text());
				assertThat(body.get("id").asString()).isEqualTo(id.toString());
				assertThat(body.get("status").asString()).isEqualTo("SUCCEEDED");
				assertThat(body.has("callback")).as("the delivery's own state is not part of what is signed").isFalse();
			}
			// A tampered body no longer verifies.
			Received first = receiver.requests.get(0);
			byte[] tampered = first.text().replace("SUCCEEDED", "FAILED").getBytes(StandardCharsets.UTF_8);
			assertThat(first.header("Aegir-Webhook-Signature"))
				.isNotEqualTo("v1=" + hmac(SECRET, Long.parseLong(first.header("Aegir-Webhook-Timestamp")), tampered));
		}
	}

	@Test
	void anOperationCancelledWhileQueuedIsPushedToo() throws Exception {
		try (WebhookReceiver receiver = new WebhookReceiver(n -> Answer.of(204))) {
			String target = "site-hook-" + UUID.randomUUID();
			UUID blocker = submit(target, null, Map.of("sleep_ms", 3000));
			UUID queued = submit(target, receiver.url("/hook"), Map.of());
			assertThat(api.post("/api/v1/operations/" + queued + "/cancel", SUBMITTER, null).statusCode())
				.isEqualTo(202);
			JsonNode op = awaitCallback(queued, "DELIVERED");
			assertThat(op.get("status").asString()).isEqualTo("CANCELLED");
			assertThat(receiver.requests).hasSize(1);
			assertThat(json.readTree(receiver.requests.get(0).text()).get("status").asString()).isEqualTo("CANCELLED");
			assertThat(api.json(api.get("/api/v1/operations/" + blocker, VIEWER)).has("callback")).isFalse();
		}
	}

	@Test
	void callbacksOutsideTheAllowListAreRefusedAtSubmit() {
		long before = jdbc.sql("SELECT count(*) FROM operation").query(Long.class).single();
		for (String url : new String[] { "http://example.org/hook", "http://127.0.0.2/hook", "http://localhost/hook",
				"ftp://127.0.0.1/hook", "http://user:secret@127.0.0.1/hook", "http://127.0.0.1.example.org/hook" }) {
			Map<String, Object> body = new HashMap<>(ApiClient.submission("site-refused"));
			body.put("callbackUrl", url);
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
			JsonNode problem = api.json(response);
			assertThat(response.statusCode()).as(url + ": " + response.body()).isIn(400, 422);
			assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("callbackUrl");
			if (url.startsWith("http://") && !url.contains("@")) {
				assertThat(response.statusCode()).as(url).isEqualTo(422);
				assertThat(problem.get("type").asString())
					.isEqualTo("https://aegir.hosting/problems/callback-not-allowed");
				assertThat(problem.get("detail").asString()).contains("not in the operator's allow-list");
			}
		}
		assertThat(jdbc.sql("SELECT count(*) FROM operation").query(Long.class).single()).isEqualTo(before);
	}

	private UUID submit(String target, String callbackUrl, Map<String, Object> vars) {
		Map<String, Object> body = new HashMap<>(ApiClient.submission(target));
		body.put("vars", vars);
		if (callbackUrl != null) {
			body.put("callbackUrl", callbackUrl);
		}
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

	private JsonNode awaitCallback(UUID id, String state) {
		JsonNode[] last = new JsonNode[1];
		await("the webhook of " + id + " is " + state).atMost(WAIT).until(() -> {
			last[0] = api.json(api.get("/api/v1/operations/" + id, VIEWER));
			return last[0].has("callback") && state.equals(last[0].get("callback").get("state").asString());
		});
		return last[0];
	}

	static String hmac(String secret, long timestamp, byte[] body) throws Exception {
		Mac mac = Mac.getInstance("HmacSHA256");
		mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
		mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
		return HexFormat.of().formatHex(mac.doFinal(body));
	}

}
