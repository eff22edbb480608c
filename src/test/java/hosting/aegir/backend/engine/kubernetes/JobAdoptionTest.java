package hosting.aegir.backend.engine.kubernetes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.engine.EngineResult;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The same attempt started twice (its first start crashed after creating the Job, before
 * anything recorded it): the second start gets a 409 for the Job's deterministic name and
 * follows that Job instead of making another.
 */
class JobAdoptionTest {

	@Test
	void aSecondStartOfTheSameAttemptAdoptsItsJob() throws Exception {
		KubernetesProperties properties = new KubernetesProperties(true, Path.of("k8s/tasks"),
				List.of(MockCluster.NAMESPACE), List.of("registry.example.org/sites/"), null, null, null,
				"cluster-issuer", "mariadb:11.4", "aegir-backups", "1Gi", "1Gi", 33,
				new KubernetesProperties.Resources("100m", "256Mi", "1", "1Gi"), Duration.ofHours(1),
				Duration.ofMinutes(10));
		try (MockCluster cluster = new MockCluster();
				KubernetesClient client = cluster.newClient();
				ClusterWatch watch = new ClusterWatch(client, properties)) {
			watch.start();
			TaskTemplates templates = TaskTemplates.read(properties.tasks());
			KubernetesEngine engine = new KubernetesEngine(client, properties, templates, watch,
					new CreateOrReplaceApplier(), JsonMapper.builder().build());
			EngineRequest request = new EngineRequest(UUID.randomUUID(), 1, MockCluster.NAMESPACE,
					Map.of("environment_name", "adopted", "image", "registry.example.org/sites/drupal:10", "site_uri",
							"adopted.example.org"),
					List.of(new EngineTask(0, "aegir.k8s.RunDrupalCron", Map.of(), null)), Duration.ofMinutes(5));
			// What the crashed first start left behind.
			Job first = client
				.resource(new JobFactory(properties, templates, JsonMapper.builder().build())
					.build(new RunTask(request.operationId(), 1, 0, "aegir.k8s.RunDrupalCron", MockCluster.NAMESPACE,
							Map.of(), request.vars(), templates.get("aegir.k8s.RunDrupalCron").options()), 300)
					.job())
				.create();

			Recorder recorder = new Recorder();
			Execution execution = engine.start(request, recorder);
			await("the engine follows the existing Job").atMost(Duration.ofSeconds(30))
				.until(() -> recorder.lines.stream()
					.anyMatch(l -> l.equals("Job " + first.getMetadata().getName() + " exists already: following it")));
			cluster.terminated(cluster.createPod(first), 0, "Completed", null);
			cluster.complete(first);

			EngineResult result = execution.result().get(30, TimeUnit.SECONDS);
			assertThat(result.succeeded()).as(String.valueOf(result.failure())).isTrue();
			assertThat(cluster.jobs(request.operationId())).singleElement()
				.satisfies(j -> assertThat(j.getMetadata().getUid()).isEqualTo(first.getMetadata().getUid()));
		}
	}

	/** Keeps what the run reports. */
	static final class Recorder implements ExecutionListener {

		final List<String> lines = Collections.synchronizedList(new ArrayList<>());

		@Override
		public void log(LogStream stream, String line) {
			lines.add(line);
		}

		@Override
		public void event(EngineEvent event) {
		}

		@Override
		public void outputs(Map<String, Object> outputs) {
		}

	}

}
