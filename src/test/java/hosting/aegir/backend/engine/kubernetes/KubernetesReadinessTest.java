package hosting.aegir.backend.engine.kubernetes;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.TestDatabase;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Readiness of the Kubernetes engine: the service starts without a cluster and says why
 * it is not ready; informers that lose the API server make readiness DOWN until they
 * watch again.
 */
class KubernetesReadinessTest {

	@Test
	void theServiceStartsWithoutAClusterAndReadinessSaysWhy() throws Exception {
		int deadPort = freePort();
		TestDatabase db = TestDatabase.get();
		try (KubernetesClient nowhere = client("http://127.0.0.1:" + deadPort);
				ConfigurableApplicationContext service = new SpringApplicationBuilder(AegirBackendApplication.class)
					.profiles("test")
					.initializers(context -> context.getBeanFactory().registerSingleton("unreachableCluster", nowhere))
					.run("--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
							"--spring.datasource.password=" + db.password(),
							"--aegir.database.schema=" + db.newSchema(), "--server.port=0",
							"--aegir.kubernetes.enabled=true",
							"--aegir.kubernetes.namespaces=" + MockCluster.NAMESPACE)) {
			ApiClient api = new ApiClient(((WebServerApplicationContext) service).getWebServer().getPort());
			HttpResponse<String> readiness = api.get("/actuator/health/readiness", VIEWER);
			assertThat(readiness.statusCode()).isEqualTo(503);
			JsonNode kubernetes = api.json(readiness).get("components").get("kubernetes");
			assertThat(kubernetes.get("status").asString()).isEqualTo("DOWN");
			assertThat(kubernetes.get("details").get("reason").asString())
				.startsWith("the Kubernetes API server cannot be reached");
			assertThat(api.get("/actuator/health/liveness", null).statusCode()).isEqualTo(200);
		}
	}

	@Test
	void informersThatLoseTheApiServerMakeReadinessDownUntilTheyWatchAgain() throws Exception {
		MockCluster cluster = new MockCluster();
		int port = java.net.URI.create(cluster.url()).getPort();
		KubernetesProperties properties = new KubernetesProperties(true, java.nio.file.Path.of("k8s/tasks"),
				List.of(MockCluster.NAMESPACE), List.of(), null, null, null, "cluster-issuer", "mariadb:11.4",
				"aegir-backups", "1Gi", "1Gi", 33, new KubernetesProperties.Resources("100m", "256Mi", "1", "1Gi"),
				Duration.ofHours(1), Duration.ofMinutes(10));
		try (KubernetesClient client = client(cluster.url());
				ClusterWatch watch = new ClusterWatch(client, properties)) {
			watch.start();
			await("the informers watch").atMost(Duration.ofSeconds(60))
				.until(() -> new KubernetesHealthIndicator(client, watch).health().getStatus().equals(Status.UP));

			cluster.close();
			await("readiness is DOWN and says why").atMost(Duration.ofSeconds(60)).until(() -> {
				var health = new KubernetesHealthIndicator(client, watch).health();
				return health.getStatus().equals(Status.DOWN) && health.getDetails().get("reason") != null;
			});

			cluster = new MockCluster(port);
			await("the informers watch again").atMost(Duration.ofSeconds(120))
				.until(() -> new KubernetesHealthIndicator(client, watch).health().getStatus().equals(Status.UP));
		}
		finally {
			cluster.close();
		}
	}

	private static KubernetesClient client(String url) {
		return new KubernetesClientBuilder()
			.withConfig(new ConfigBuilder().withMasterUrl(url)
				.withNamespace(MockCluster.NAMESPACE)
				.withRequestTimeout(5000)
				.withConnectionTimeout(2000)
				.build())
			.build();
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
