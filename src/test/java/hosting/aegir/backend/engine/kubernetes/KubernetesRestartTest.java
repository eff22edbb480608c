package hosting.aegir.backend.engine.kubernetes;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.ChildReplica;
import hosting.aegir.backend.support.ReplicaMain;
import hosting.aegir.backend.support.TestDatabase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A replica killed with SIGKILL while its operation's Job runs: the Job runs on in the
 * cluster, and the replica that re-runs the operation (submitted with retry) re-attaches
 * to that Job, found by its labels, instead of starting another, and finishes the
 * operation when the Job ends.
 */
class KubernetesRestartTest {

	private static final List<String> KUBERNETES = List.of("aegir.kubernetes.enabled=true",
			"aegir.kubernetes.namespaces=" + MockCluster.NAMESPACE,
			"aegir.kubernetes.image-prefixes=registry.example.org/sites/", "aegir.executor.heartbeat-interval=500ms",
			"aegir.log.flush-interval=100ms");

	@Test
	void aReplicaKilledMidJobIsReplacedByOneThatReattachesAndFinishes() throws Exception {
		TestDatabase db = TestDatabase.get();
		String schema = db.newSchema();
		int port = ChildReplica.freePort();
		ConfigurableApplicationContext survivor = null;
		Process doomed = null;
		try (MockCluster cluster = new MockCluster()) {
			List<String> command = new java.util.ArrayList<>(List.of(ChildReplica.javaBin(), "-Xmx256m",
					// Fabric8 resolves its configuration from these, as it would from a
					// kubeconfig.
					"-Dkubernetes.master=" + cluster.url(), "-Dkubernetes.auth.tryKubeConfig=false",
					"-Dkubernetes.auth.tryServiceAccount=false", "-cp", System.getProperty("java.class.path"),
					ReplicaMain.class.getName(), "--spring.datasource.url=" + db.url(),
					"--spring.datasource.username=" + db.username(), "--spring.datasource.password=" + db.password(),
					"--aegir.database.schema=" + schema, "--server.port=" + port,
					"--aegir.executor.replica-id=doomed"));
			KUBERNETES.forEach(p -> command.add("--" + p));
			doomed = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(new File("target/kubernetes-restart-child.log"))
				.start();
			ApiClient child = new ApiClient(port);
			Process running = doomed;
			await("the child replica serves").atMost(Duration.ofSeconds(90))
				.until(() -> running.isAlive() && ChildReplica.serves(child));

			Map<String, Object> body = KubernetesEngineEndToEndTest.operation("site-" + UUID.randomUUID(),
					KubernetesEngineEndToEndTest.site("restarted"),
					KubernetesEngineEndToEndTest.task("aegir.k8s.RunDrupalCron", Map.of()));
			body.put("retry", true);
			body.put("maxAttempts", 2);
			UUID id = UUID.fromString(
					child.json(child.post("/api/v1/operations", SUBMITTER, child.write(body))).get("id").asString());
			Job job = cluster.awaitJob(id);
			Pod pod = cluster.createPod(job);
			cluster.serveLog(pod, "cron started\n");
			cluster.running(pod);
			await("the child follows the pod's log").atMost(Duration.ofSeconds(30))
				.until(() -> log(child, id).contains("cron started"));

			doomed.destroyForcibly().waitFor();

			survivor = new SpringApplicationBuilder(AegirBackendApplication.class, MockClusterConfig.class)
				.profiles("test")
				.initializers(context -> context.getBeanFactory().registerSingleton("mockCluster", cluster))
				.run(args(db, schema, "aegir.executor.replica-id=survivor", "aegir.executor.stale-after=3s"));
			ApiClient api = new ApiClient(((WebServerApplicationContext) survivor).getWebServer().getPort());
			await("the survivor re-runs the operation and re-attaches to its Job").atMost(Duration.ofSeconds(60))
				.until(() -> log(api, id).contains("re-attached to Job " + job.getMetadata().getName()));

			cluster.terminated(pod, 0, "Completed", null);
			cluster.complete(job);
			await("the operation finishes").atMost(Duration.ofSeconds(60))
				.until(() -> !"RUNNING".equals(status(api, id)) && !"QUEUED".equals(status(api, id)));
			JsonNode op = api.json(api.get("/api/v1/operations/" + id, VIEWER));
			assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
			assertThat(op.get("attempt").asInt()).isEqualTo(2);
			assertThat(op.get("claimedBy").asString()).isEqualTo("survivor");
			assertThat(cluster.jobs(id)).singleElement()
				.satisfies(j -> assertThat(j.getMetadata().getName()).isEqualTo(job.getMetadata().getName()));
		}
		finally {
			if (doomed != null) {
				doomed.destroyForcibly();
			}
			if (survivor != null) {
				survivor.close();
			}
		}
	}

	private static String[] args(TestDatabase db, String schema, String... more) {
		List<String> args = new java.util.ArrayList<>(List.of("--spring.datasource.url=" + db.url(),
				"--spring.datasource.username=" + db.username(), "--spring.datasource.password=" + db.password(),
				"--aegir.database.schema=" + schema, "--server.port=0", "--spring.main.banner-mode=off"));
		KUBERNETES.forEach(p -> args.add("--" + p));
		for (String p : more) {
			args.add("--" + p);
		}
		return args.toArray(String[]::new);
	}

	private static String log(ApiClient api, UUID id) {
		StringBuilder text = new StringBuilder();
		api.json(api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER))
			.get("lines")
			.forEach(l -> text.append(l.get("text").asString()).append('\n'));
		return text.toString();
	}

	private static String status(ApiClient api, UUID id) {
		return api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString();
	}

}
