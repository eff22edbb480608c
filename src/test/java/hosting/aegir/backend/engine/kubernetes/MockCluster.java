package hosting.aegir.backend.engine.kubernetes;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;

import static org.awaitility.Awaitility.await;

/**
 * Fabric8's mock API server in CRUD mode, on loopback, with the test playing the
 * controllers it does not run: it makes a Job's pod, moves it through its phases, serves
 * its log, and sets the Job's and Deployments' status the way the Job and Deployment
 * controllers would.
 */
public class MockCluster implements AutoCloseable {

	public static final String NAMESPACE = "aegir-sites";

	/** The user agent of the requests the test (playing the controllers) makes. */
	public static final String CONTROLLER_AGENT = "aegir-test-controller";

	private static final Duration WAIT = Duration.ofSeconds(60);

	private final KubernetesMockServer server;

	private final NamespacedKubernetesClient client;

	public MockCluster() {
		this(0);
	}

	/**
	 * A cluster on the given port (0: any free one), e.g. to bring one back where another
	 * was.
	 */
	public MockCluster(int port) {
		Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
		server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
				new KubernetesMixedDispatcher(responses), false);
		server.init(InetAddress.getLoopbackAddress(), port);
		// The test's own requests carry their own user agent, so they can be told from
		// the engine's.
		client = server.createClient(builder -> builder.withConfig(
				new ConfigBuilder(server.createClient().getConfiguration()).withUserAgent(CONTROLLER_AGENT).build()));
		client.namespaces()
			.resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
			.create();
	}

	/** A client of its own, for the service under test. */
	public NamespacedKubernetesClient newClient() {
		return server.createClient();
	}

	public NamespacedKubernetesClient client() {
		return client;
	}

	public KubernetesMockServer server() {
		return server;
	}

	public String url() {
		return client.getConfiguration().getMasterUrl();
	}

	public List<Job> jobs(UUID operation) {
		return client.batch()
			.v1()
			.jobs()
			.inNamespace(NAMESPACE)
			.withLabel(Names.OPERATION, operation.toString())
			.list()
			.getItems();
	}

	public Job awaitJob(UUID operation) {
		await("a Job for operation " + operation).atMost(WAIT).until(() -> !jobs(operation).isEmpty());
		return jobs(operation).get(0);
	}

	/** Creates the Job's pod, as the Job controller would, Pending. */
	public Pod createPod(Job job) {
		String podName = job.getMetadata().getName() + "-" + UUID.randomUUID().toString().substring(0, 5);
		Map<String, String> labels = new LinkedHashMap<>(job.getSpec().getTemplate().getMetadata().getLabels());
		labels.put(Names.JOB_NAME, job.getMetadata().getName());
		Pod pod = new PodBuilder().withNewMetadata()
			.withName(podName)
			.withNamespace(NAMESPACE)
			.withLabels(labels)
			.endMetadata()
			.withSpec(job.getSpec().getTemplate().getSpec())
			.build();
		client.pods().inNamespace(NAMESPACE).resource(pod).create();
		return setPodStatus(podName, "Pending",
				new ContainerStateBuilder().withNewWaiting().withReason("ContainerCreating").endWaiting().build(),
				null);
	}

	/** Serves the pod's log to whoever asks for it (the engine follows it). */
	public void serveLog(Pod pod, String log) {
		server.expect()
			.get()
			.withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + pod.getMetadata().getName() + "/log?container="
					+ Names.TASK_CONTAINER + "&follow=true")
			.andReturn(200, log)
			.always();
	}

	public Pod running(Pod pod) {
		return setPodStatus(pod.getMetadata().getName(), "Running",
				new ContainerStateBuilder().withNewRunning().withStartedAt("2026-01-01T00:00:00Z").endRunning().build(),
				null);
	}

	public Pod waiting(Pod pod, String reason, String message) {
		return setPodStatus(pod.getMetadata().getName(), "Pending",
				new ContainerStateBuilder().withNewWaiting()
					.withReason(reason)
					.withMessage(message)
					.endWaiting()
					.build(),
				null);
	}

	public Pod terminated(Pod pod, int exitCode, String reason, String message) {
		return setPodStatus(pod.getMetadata().getName(), exitCode == 0 ? "Succeeded" : "Failed",
				new ContainerStateBuilder().withNewTerminated()
					.withExitCode(exitCode)
					.withReason(reason)
					.withMessage(message)
					.endTerminated()
					.build(),
				null);
	}

	private Pod setPodStatus(String podName, String phase, io.fabric8.kubernetes.api.model.ContainerState state,
			String reason) {
		return client.pods().inNamespace(NAMESPACE).withName(podName).editStatus(p -> {
			p.setStatus(new PodStatusBuilder().withPhase(phase)
				.withReason(reason)
				.withContainerStatuses(new ContainerStatusBuilder().withName(Names.TASK_CONTAINER)
					.withImage(p.getSpec().getContainers().get(0).getImage())
					.withState(state)
					.withReady("Running".equals(phase))
					.withRestartCount(0)
					.build())
				.build());
			return p;
		});
	}

	public Job complete(Job job) {
		return jobCondition(job, "Complete", null, null);
	}

	public Job fail(Job job, String reason, String message) {
		return jobCondition(job, "Failed", reason, message);
	}

	private Job jobCondition(Job job, String type, String reason, String message) {
		return client.batch().v1().jobs().inNamespace(NAMESPACE).withName(job.getMetadata().getName()).editStatus(j -> {
			j.setStatus(new JobStatusBuilder()
				.withConditions(new JobConditionBuilder().withType(type)
					.withStatus("True")
					.withReason(reason)
					.withMessage(message)
					.build())
				.withSucceeded("Complete".equals(type) ? 1 : 0)
				.withFailed("Failed".equals(type) ? 1 : 0)
				.build());
			return j;
		});
	}

	/**
	 * Marks the Deployment rolled out and available, as the Deployment controller would.
	 */
	public Deployment available(String name) {
		return client.apps().deployments().inNamespace(NAMESPACE).withName(name).editStatus(d -> {
			int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
			d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration())
				.withReplicas(replicas)
				.withUpdatedReplicas(replicas)
				.withReadyReplicas(replicas)
				.withAvailableReplicas(replicas)
				.withConditions(new DeploymentConditionBuilder().withType("Available").withStatus("True").build())
				.build());
			return d;
		});
	}

	@Override
	public void close() {
		client.close();
		server.destroy();
	}

}
