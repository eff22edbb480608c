package hosting.aegir.backend.engine.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine against a real cluster, with real controllers and server-side apply: only
 * with {@code ./mvnw -Pkube-it verify}, using the kubeconfig Fabric8 finds
 * ({@code KUBECONFIG} or {@code ~/.kube/config}). The namespace
 * ({@code AEGIR_IT_NAMESPACE}, default {@code aegir-it}) must exist;
 * {@code AEGIR_IT_IMAGE} is any image with a POSIX shell, {@code AEGIR_IT_SITE_IMAGE} one
 * that serves HTTP on port 8080 as a non-root user (the Drupal Deployment's readiness
 * probe).
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = { "aegir.kubernetes.enabled=true",
		"aegir.executor.heartbeat-interval=1s", "aegir.log.flush-interval=100ms" })
class KubernetesClusterIT {

	static final String NAMESPACE = env("AEGIR_IT_NAMESPACE", "aegir-it");

	static final String IMAGE = env("AEGIR_IT_IMAGE", "docker.io/library/busybox:1.36");

	static final String SITE_IMAGE = env("AEGIR_IT_SITE_IMAGE", "docker.io/nginxinc/nginx-unprivileged:1.27");

	static final Duration RUN = Duration.ofMinutes(5);

	@DynamicPropertySource
	static void cluster(DynamicPropertyRegistry registry) {
		registry.add("aegir.kubernetes.namespaces", () -> NAMESPACE);
		registry.add("aegir.kubernetes.image-prefixes", () -> prefix(IMAGE) + "," + prefix(SITE_IMAGE));
		registry.add("aegir.kubernetes.tasks-directory", KubernetesClusterIT::tasks);
	}

	@LocalServerPort
	int port;

	@Autowired
	KubernetesClient k8s;

	ApiClient api;

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
	}

	@Test
	void aJobRunsItsLogIsKeptAndItsTerminationMessageIsTheOutputs() {
		UUID id = submit(shell("succeed"));
		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
		assertThat(log(id)).contains("kube-it line one\nkube-it line two");
		assertThat(op.get("outputs").get("backup_path").asString()).isEqualTo("/backups/kube-it.tar.gz");
	}

	@Test
	void aFailingJobGivesItsExitCodeAndReason() {
		JsonNode op = finished(submit(shell("fail")));
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("exitCode").asInt()).isEqualTo(3);
		assertThat(op.get("reason").asString()).contains("BackoffLimitExceeded").contains("exit code 3");
	}

	@Test
	void cancelDeletesTheJobAndItsPods() {
		UUID id = submit(shell("sleep"));
		await("the Job's pod runs").atMost(RUN).until(() -> log(id).contains("kube-it line one"));
		api.post("/api/v1/operations/" + id + "/cancel", SUBMITTER, null);
		assertThat(finished(id).get("status").asString()).isEqualTo("CANCELLED");
		assertThat(k8s.batch()
			.v1()
			.jobs()
			.inNamespace(NAMESPACE)
			.withLabel(Names.OPERATION, id.toString())
			.list()
			.getItems()).isEmpty();
		assertThat(k8s.pods().inNamespace(NAMESPACE).withLabel(Names.OPERATION, id.toString()).list().getItems())
			.isEmpty();
	}

	@Test
	void aTimeoutEndsTimedOut() {
		Map<String, Object> body = shell("sleep");
		body.put("timeoutSeconds", 20);
		assertThat(finished(submit(body)).get("status").asString()).isEqualTo("TIMED_OUT");
	}

	@Test
	void anEnvironmentIsServerSideAppliedAndASecondDeployChangesNothing() {
		String environment = "kube-it-" + UUID.randomUUID().toString().substring(0, 8);
		Map<String, Object> vars = new LinkedHashMap<>();
		vars.put("environment_name", environment);
		vars.put("image", SITE_IMAGE);
		vars.put("host_names", List.of(environment + ".example.org"));
		vars.put("db_password", "kube-it-" + UUID.randomUUID());
		try {
			JsonNode first = finished(submit(operation(vars, "aegir.k8s.DeployEnvironment")));
			assertThat(first.get("status").asString()).as(first.toString()).isEqualTo("SUCCEEDED");
			JsonNode second = finished(submit(operation(vars, "aegir.k8s.DeployEnvironment")));
			assertThat(second.get("status").asString()).isEqualTo("SUCCEEDED");
			List<JsonNode> applied = new ArrayList<>();
			api.json(api.get("/api/v1/operations/" + second.get("id").asString() + "/events", VIEWER))
				.get("events")
				.forEach(e -> {
					if (e.get("task").asString().startsWith("apply ")) {
						applied.add(e);
					}
				});
			assertThat(applied).hasSize(8).allSatisfy(e -> assertThat(e.get("changed").asBoolean()).isFalse());
		}
		finally {
			finished(submit(operation(Map.of("environment_name", environment, "delete_volumes", true),
					"aegir.k8s.DeleteEnvironment")));
		}
	}

	private Map<String, Object> shell(String outcome) {
		return operation(Map.of("image", IMAGE, "outcome", outcome), "aegir.k8s.it.Shell");
	}

	private static Map<String, Object> operation(Map<String, Object> vars, String task) {
		Map<String, Object> body = new HashMap<>();
		body.put("type", "site.kube-it");
		body.put("engine", "kubernetes");
		body.put("target", "kube-it-" + UUID.randomUUID());
		body.put("hosts", NAMESPACE);
		body.put("vars", vars);
		body.put("tasks", List.of(Map.of("name", task)));
		return body;
	}

	private UUID submit(Map<String, Object> body) {
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

	private JsonNode finished(UUID id) {
		await(id + " finishes").atMost(RUN)
			.until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT")
				.contains(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
		return api.json(api.get("/api/v1/operations/" + id, VIEWER));
	}

	private String log(UUID id) {
		StringBuilder text = new StringBuilder();
		api.json(api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER))
			.get("lines")
			.forEach(l -> text.append(l.get("text").asString()).append('\n'));
		return text.toString();
	}

	// The image's repository: what the operator would allow.
	private static String prefix(String image) {
		return image.substring(0, image.lastIndexOf('/') + 1);
	}

	// k8s/tasks plus the test's shell task, in one directory.
	private static String tasks() {
		try {
			Path dir = Files.createTempDirectory("aegir-kube-it-tasks");
			for (Path source : List.of(Path.of("k8s/tasks"), Path.of("src/test/resources/k8s-it/tasks"))) {
				try (Stream<Path> files = Files.walk(source)) {
					for (Path file : files.filter(Files::isRegularFile).toList()) {
						Path copy = dir.resolve(source.relativize(file).toString());
						Files.createDirectories(copy.getParent());
						Files.copy(file, copy);
					}
				}
			}
			return dir.toString();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return value == null || value.isBlank() ? fallback : value;
	}

}
