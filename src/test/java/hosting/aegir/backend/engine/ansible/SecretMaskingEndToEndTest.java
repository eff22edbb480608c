package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.FileSystemUtils;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A role that is careless with a secret: it prints a {@code no_log} value, returns it as
 * an output and fails with it in its message. Run with the real ansible-playbook (the
 * project's roles plus this one, in a copy of {@code ansible/}), the value shows nowhere:
 * not in the reason, the log, the events or the outputs; and once the operation has ended
 * it is gone from the stored row. Likewise the password of a database URL that a failing
 * drush prints.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.log.flush-interval=100ms" })
class SecretMaskingEndToEndTest {

	static final OperatorInventory OPERATOR = OperatorInventory.create();

	static final Path ANSIBLE = copyWithLeakyRole();

	@DynamicPropertySource
	static void ansible(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
		registry.add("aegir.ansible.directory", ANSIBLE::toString);
	}

	@LocalServerPort
	int port;

	@Autowired
	JdbcClient jdbc;

	@Test
	void aFailureMessageQuotingASecretShowsItNowhere() {
		ApiClient api = new ApiClient(port);
		String secret = "tok-" + UUID.randomUUID();
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
				api.write(Map.of("type", "site.test", "engine", "ansible", "target", "site-" + UUID.randomUUID(),
						"hosts", "localhost", "vars", Map.of("api_token", secret), "tasks",
						List.of(Map.of("name", "aegir.TestLeakySecret", "vars", Map.of("label", "plain text"))))));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		String id = api.json(response).get("id").asString();
		await(id + " finishes").atMost(Duration.ofSeconds(90))
			.until(() -> "FAILED"
				.equals(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));

		JsonNode op = api.json(api.get("/api/v1/operations/" + id, VIEWER));
		assertThat(op.get("reason").asString()).contains("could not use ********");
		assertThat(op.get("outputs").get("leaked").asString()).isEqualTo("********");
		String log = api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER).body();
		assertThat(log).contains("printing ********");
		String everything = op + log + api.get("/api/v1/operations/" + id + "/events", VIEWER).body()
				+ api.get("/api/v1/operations?target=" + op.get("target").asString(), VIEWER).body();
		assertThat(everything).doesNotContain(secret);

		// The stored row: the secret variable's value is scrubbed; the log, events and
		// reason never had it.
		UUID uuid = UUID.fromString(id);
		assertThat(jdbc.sql(
				"SELECT vars::text || tasks::text || outputs::text || coalesce(reason, '') FROM operation WHERE id = :id")
			.param("id", uuid)
			.query(String.class)
			.single()).doesNotContain(secret);
		assertThat(jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = :id AND text LIKE :s")
			.param("id", uuid)
			.param("s", "%" + secret + "%")
			.query(Integer.class)
			.single()).isZero();
		assertThat(jdbc.sql("SELECT count(*) FROM operation_event WHERE operation_id = :id AND message LIKE :s")
			.param("id", uuid)
			.param("s", "%" + secret + "%")
			.query(Integer.class)
			.single()).isZero();
		assertThat(jdbc.sql("SELECT vars ->> 'api_token' FROM operation WHERE id = :id")
			.param("id", uuid)
			.query(String.class)
			.single()).isEqualTo("********");
	}

	@Test
	void aDatabaseUrlInDrushsErrorOutputShowsItsPasswordNowhere() {
		ApiClient api = new ApiClient(port);
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
				api.write(Map.of("type", "site.test", "engine", "ansible", "target", "site-" + UUID.randomUUID(),
						"hosts", "localhost", "vars", Map.of(), "tasks",
						List.of(Map.of("name", "aegir.TestDrushDbFailure", "vars", Map.of())))));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		String id = api.json(response).get("id").asString();
		await(id + " finishes").atMost(Duration.ofSeconds(90))
			.until(() -> "FAILED"
				.equals(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));

		JsonNode op = api.json(api.get("/api/v1/operations/" + id, VIEWER));
		String log = api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER).body();
		String events = api.get("/api/v1/operations/" + id + "/events", VIEWER).body();
		assertThat(op.get("reason").asString()).contains("mysql://u:********@db/x");
		assertThat(events).contains("mysql://u:********@db/x");
		assertThat(log).contains("mysql://u:********@db/x");
		assertThat(op + log + events).doesNotContain("p4ss");
		UUID uuid = UUID.fromString(id);
		assertThat(jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = :id AND text LIKE '%p4ss%'")
			.param("id", uuid)
			.query(Integer.class)
			.single()).isZero();
		assertThat(jdbc.sql("SELECT count(*) FROM operation_event WHERE operation_id = :id AND message LIKE '%p4ss%'")
			.param("id", uuid)
			.query(Integer.class)
			.single()).isZero();
	}

	private static Path copyWithLeakyRole() {
		try {
			Path copy = Files.createTempDirectory("aegir-ansible-");
			FileSystemUtils.copyRecursively(Path.of("ansible"), copy);
			Path role = Files.createDirectories(copy.resolve("roles/aegir.TestLeakySecret"));
			Files.createDirectories(role.resolve("meta"));
			Files.createDirectories(role.resolve("tasks"));
			Files.writeString(role.resolve("meta/argument_specs.yml"), """
					argument_specs:
					  main:
					    short_description: A careless role, for a test
					    options:
					      api_token:
					        type: str
					        required: true
					        no_log: true
					      label:
					        type: str
					        required: true
					""");
			Files.writeString(role.resolve("tasks/main.yml"), """
					- name: Print the token
					  ansible.builtin.debug:
					    msg: "printing {{ api_token }}"
					- name: Return the token
					  ansible.builtin.set_stats:
					    data:
					      leaked: "{{ api_token }}"
					    per_host: false
					- name: Fail quoting the token
					  ansible.builtin.fail:
					    msg: "could not use {{ api_token }}"
					""");
			// Fails as drush does when the database refuses it: its URL, password
			// included,
			// on stdout and stderr.
			Path drush = Files.createDirectories(copy.resolve("roles/aegir.TestDrushDbFailure"));
			Files.createDirectories(drush.resolve("meta"));
			Files.createDirectories(drush.resolve("tasks"));
			Files.writeString(drush.resolve("meta/argument_specs.yml"), """
					argument_specs:
					  main:
					    short_description: A drush-like failure quoting a database URL, for a test
					    options: {}
					""");
			Files.writeString(drush.resolve("tasks/main.yml"), """
					- name: Run a drush that cannot reach mysql://u:p4ss@db/x
					  ansible.builtin.command:
					    argv:
					      - sh
					      - -c
					      - >-
					        echo "Connecting to mysql://u:p4ss@db/x";
					        echo "SQLSTATE[HY000] [1045] Access denied; db-url mysql://u:p4ss@db/x" >&2;
					        exit 1
					""");
			return copy;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
