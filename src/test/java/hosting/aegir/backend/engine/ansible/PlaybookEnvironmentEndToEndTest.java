package hosting.aegir.backend.engine.ansible;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.FaultRoles;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A service started with secrets in its environment (a database password, the webhook
 * secret, a token, anything of its own) runs a real ansible-playbook whose local task
 * records {@code env} and its {@code /proc/<pid>/environ}: none of the service's
 * variables is there, only the built minimum and the engine's settings.
 */
class PlaybookEnvironmentEndToEndTest {

	// What a run's task may see besides the names PlaybookEnvironment passes on: the
	// engine's settings, and what Ansible and sh add themselves.
	private static final Set<String> RUN_OWN = Set.of("ANSIBLE_CONFIG", "ANSIBLE_NOCOLOR", "ANSIBLE_LOCAL_TEMP",
			"PYTHONUNBUFFERED", "AEGIR_EVENT_TOKEN", "ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_SSH_COMMON_ARGS", "PWD",
			"SHLVL", "_", "OLDPWD");

	@TempDir
	Path dir;

	@Test
	void aRunsTaskProcessHoldsNoneOfTheServicesVariables() throws Exception {
		String suffix = UUID.randomUUID().toString();
		Map<String, String> secrets = new LinkedHashMap<>();
		secrets.put("SPRING_DATASOURCE_PASSWORD", "db-pass-" + suffix);
		secrets.put("AEGIR_WEBHOOKS_SECRET", "webhook-secret-" + suffix);
		secrets.put("FRONTEND_API_TOKEN", "api-token-" + suffix);
		secrets.put("MY_SECRET", "my-secret-" + suffix);
		secrets.put("SSH_AUTH_SOCK", "/tmp/agent-" + suffix);
		Path record = Files.createDirectory(dir.resolve("record"));

		try (ChildReplica replica = ChildReplica.start(AegirBackendApplication.class, "playbook-environment",
				TestDatabase.get().newSchema(), secrets, "aegir.ansible.enabled=true",
				"aegir.ansible.directory=" + FaultRoles.ansibleDirectory(dir))) {
			ApiClient api = replica.api();
			Map<String, Object> body = Map.of("type", "test.environment", "engine", "ansible", "target",
					"site-env-" + suffix, "hosts", "localhost", "vars", Map.of(), "tasks",
					List.of(Map.of("name", "aegir.TestEnvironment", "vars", Map.of("record_dir", record.toString()))));
			var response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
			assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
			String id = api.json(response).get("id").asString();
			await(id + " succeeds").atMost(Duration.ofSeconds(90))
				.until(() -> "SUCCEEDED"
					.equals(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
		}

		String env = Files.readString(record.resolve("env"), StandardCharsets.UTF_8);
		String environ = Files.readString(record.resolve("environ"), StandardCharsets.UTF_8);
		// The recording is real: the engine's own settings are in it.
		assertThat(environ).contains("ANSIBLE_CONFIG=", "AEGIR_EVENT_TOKEN=", "PATH=");
		for (String value : secrets.values()) {
			assertThat(env).doesNotContain(value);
			assertThat(environ).doesNotContain(value);
		}
		// Nor anything else of the service's environment (this JVM's, which the replica
		// inherited, and the secrets above), but the names passed on by design.
		Map<String, String> service = new HashMap<>(System.getenv());
		service.putAll(secrets);
		Map<String, String> seen = entries(environ);
		for (Map.Entry<String, String> variable : service.entrySet()) {
			if (PlaybookEnvironment.PASSED.contains(variable.getKey()) || RUN_OWN.contains(variable.getKey())) {
				continue;
			}
			assertThat(seen).as("the run's environment").doesNotContainKey(variable.getKey());
		}
		assertThat(seen.keySet()).allSatisfy(name -> assertThat(
				PlaybookEnvironment.PASSED.contains(name) || RUN_OWN.contains(name) || name.startsWith("LC_"))
			.as(name + " is passed on by design")
			.isTrue());
	}

	private static Map<String, String> entries(String environ) {
		Map<String, String> entries = new LinkedHashMap<>();
		for (String entry : environ.split("\0")) {
			int equals = entry.indexOf('=');
			if (equals > 0) {
				entries.put(entry.substring(0, equals), entry.substring(equals + 1));
			}
		}
		return entries;
	}

}
