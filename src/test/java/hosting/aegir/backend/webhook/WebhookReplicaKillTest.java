package hosting.aegir.backend.webhook;

import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.ReplicaMain;
import hosting.aegir.backend.support.TestDatabase;
import hosting.aegir.backend.webhook.WebhookReceiver.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica killed with SIGKILL while it holds a webhook delivery (its POST is under way,
 * unanswered): the delivery row outlives it, its lease runs out, and another replica
 * delivers it — at least once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class WebhookReplicaKillTest {

	private static final String SECRET = "test-webhook-secret-0123456789";

	@Test
	void aDeliveryOfAKilledReplicaIsMadeByAnother() throws Exception {
		TestDatabase db = TestDatabase.get();
		String schema = db.newSchema();
		int port = ChildReplica.freePort();
		String[] webhooks = { "aegir.webhooks.allowed-hosts=127.0.0.1:*", "aegir.webhooks.allow-http=true",
				"aegir.webhooks.secret=" + SECRET, "aegir.webhooks.timeout=2s",
				"aegir.webhooks.initial-backoff=200ms" };
		// The first request (the doomed replica's) is held unanswered; later ones get a
		// 200.
		try (WebhookReceiver receiver = new WebhookReceiver(
				n -> n == 0 ? new Answer(200, null, true) : Answer.of(200))) {
			java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(ChildReplica.javaBin(),
					"-Xmx256m", "-cp", System.getProperty("java.class.path"), ReplicaMain.class.getName(),
					"--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
					"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + schema,
					"--server.port=" + port, "--aegir.executor.replica-id=doomed"));
			for (String property : webhooks) {
				command.add("--" + property);
			}
			Process doomed = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(new File("target/webhook-kill-child.log"))
				.start();
			ConfigurableApplicationContext survivor = null;
			try {
				ApiClient child = new ApiClient(port);
				await("the child replica serves").atMost(Duration.ofSeconds(90))
					.until(() -> doomed.isAlive() && ChildReplica.serves(child));
				Map<String, Object> body = new HashMap<>(ApiClient.submission("site-hook-kill"));
				body.put("vars", Map.of("lines", 3));
				body.put("callbackUrl", receiver.url("/hook"));
				var submitted = child.post("/api/v1/operations", SUBMITTER, child.write(body));
				assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
				UUID id = UUID.fromString(child.json(submitted).get("id").asString());

				await("the child posts the webhook").atMost(Duration.ofSeconds(60))
					.until(() -> receiver.requests.size() == 1);
				doomed.destroyForcibly().waitFor();

				// The dead replica's claim is still there, unanswered.
				try (Connection c = DriverManager.getConnection(db.url(), db.username(), db.password());
						PreparedStatement ps = c.prepareStatement("SELECT state, claimed_by, attempts FROM " + schema
								+ ".webhook_delivery WHERE operation_id = ?")) {
					ps.setObject(1, id);
					try (ResultSet rs = ps.executeQuery()) {
						assertThat(rs.next()).isTrue();
						assertThat(rs.getString("state")).isEqualTo("DELIVERING");
						assertThat(rs.getString("claimed_by")).isEqualTo("doomed");
						assertThat(rs.getInt("attempts")).isEqualTo(1);
					}
				}

				survivor = Replica.start(schema, new EngineObservations(), "aegir.executor.replica-id=survivor",
						webhooks[0], webhooks[1], webhooks[2], webhooks[3], webhooks[4],
						"aegir.webhooks.poll-interval=500ms");
				JdbcClient jdbc = survivor.getBean(JdbcClient.class);

				await("the survivor delivers it").atMost(Duration.ofSeconds(90))
					.until(() -> "DELIVERED"
						.equals(jdbc.sql("SELECT state FROM webhook_delivery WHERE operation_id = ?")
							.param(id)
							.query(String.class)
							.single()));
				Map<String, Object> row = jdbc.sql("SELECT * FROM webhook_delivery WHERE operation_id = ?")
					.param(id)
					.query()
					.singleRow();
				assertThat(row).containsEntry("claimed_by", "survivor")
					.containsEntry("attempts", 2)
					.containsEntry("last_status_code", 200);
				assertThat(receiver.requests).hasSize(2);
				assertThat(receiver.requests.get(1).header("Aegir-Webhook-Id"))
					.isEqualTo(receiver.requests.get(0).header("Aegir-Webhook-Id"))
					.isEqualTo(row.get("id").toString());
				long timestamp = Long.parseLong(receiver.requests.get(1).header("Aegir-Webhook-Timestamp"));
				assertThat(receiver.requests.get(1).header("Aegir-Webhook-Signature"))
					.isEqualTo("v1=" + WebhookDeliveryTest.hmac(SECRET, timestamp, receiver.requests.get(1).body()));
			}
			finally {
				doomed.destroyForcibly();
				if (survivor != null) {
					survivor.close();
				}
			}
		}
	}

}
