package hosting.aegir.backend.engine.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import org.springframework.boot.convert.DurationStyle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Every manifest under {@code k8s/} and every task template parses into Fabric8's typed
 * objects (a misspelt kind or apiVersion would parse only as a generic resource), the
 * kustomization lists files that exist, and the service's Deployment is set up as
 * {@code docs/kubernetes.md} says.
 */
class ManifestsTest {

	private static final Path K8S = Path.of("k8s");

	private final KubernetesSerialization serialization = new KubernetesSerialization();

	@Test
	void everyManifestUnderK8sParsesIntoTypedObjects() throws IOException {
		List<Path> manifests;
		try (Stream<Path> files = Files.walk(K8S)) {
			manifests = files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
				.filter(f -> !List.of("kustomization.yaml", TaskTemplates.SPEC, "deletes.yaml")
					.contains(f.getFileName().toString()))
				.sorted()
				.toList();
		}
		assertThat(manifests).extracting(p -> K8S.relativize(p).toString())
			.contains("deployment.yaml", "service.yaml", "configmap.yaml", "secret.example.yaml", "serviceaccount.yaml",
					"role.yaml", "rolebinding.yaml", "tasks/aegir.k8s.DeployEnvironment/objects.yaml",
					"tasks/aegir.k8s.RunDrupalCron/job.yaml");
		for (Path manifest : manifests) {
			List<HasMetadata> objects = parse(manifest);
			assertThat(objects).as(manifest.toString()).isNotEmpty();
			assertThat(objects).as(manifest.toString()).allSatisfy(o -> {
				assertThat(o).isNotInstanceOf(GenericKubernetesResource.class);
				assertThat(o.getMetadata().getName()).isNotBlank();
			});
		}
	}

	@Test
	void everyTaskTemplateFillsIntoTypedObjects() {
		TaskTemplates templates = TaskTemplates.read(K8S.resolve("tasks"));
		assertThat(templates.names()).containsExactlyInAnyOrder("aegir.k8s.DeployEnvironment",
				"aegir.k8s.DeleteEnvironment", "aegir.k8s.InstallDrupalSite", "aegir.k8s.RunDrupalCron",
				"aegir.k8s.GenerateDrupalSiteBackup");
		for (String name : templates.names()) {
			switch (templates.get(name).kind()) {
				case JOB -> {
					Job job = templates.job(name);
					assertThat(job.getSpec().getTemplate().getSpec().getContainers()).as(name)
						.anySatisfy(c -> assertThat(c.getName()).isEqualTo(Names.TASK_CONTAINER));
				}
				case APPLY -> assertThat(templates.objects(name)).as(name)
					.isNotEmpty()
					.noneMatch(o -> o instanceof GenericKubernetesResource);
				case DELETE ->
					assertThat(templates.get(templates.get(name).deletes()).kind()).isEqualTo(TaskTemplates.Kind.APPLY);
			}
		}
	}

	/**
	 * A database URL is the engine's to build: a task template that takes one whole would
	 * let a request choose the driver and the server, and stops the start.
	 */
	@Test
	void aTaskTakingADatabaseUrlIsRefusedAtStart(@TempDir Path tasks) throws IOException {
		Path install = K8S.resolve("tasks/aegir.k8s.InstallDrupalSite");
		Path copy = Files.createDirectory(tasks.resolve("aegir.k8s.InstallDrupalSite"));
		Files.copy(install.resolve("job.yaml"), copy.resolve("job.yaml"));
		String spec = Files.readString(install.resolve(TaskTemplates.SPEC));
		Files.writeString(copy.resolve(TaskTemplates.SPEC), spec);
		assertThat(TaskTemplates.read(tasks).get("aegir.k8s.InstallDrupalSite").options()).containsKeys("db_name",
				"db_user", "db_password");

		assertThat(spec).contains("    options:\n");
		Files.writeString(copy.resolve(TaskTemplates.SPEC),
				spec.replace("    options:\n", "    options:\n      db_url:\n        type: str\n"));
		assertThatIllegalStateException().isThrownBy(() -> TaskTemplates.read(tasks))
			.withMessage("aegir.k8s.InstallDrupalSite takes db_url: the engine builds it from "
					+ "[db_name, db_user, db_password]");
	}

	@Test
	@SuppressWarnings("unchecked")
	void theKustomizationListsManifestsThatExist() throws IOException {
		Map<String, Object> kustomization = new Yaml(new SafeConstructor(new LoaderOptions()))
			.load(Files.readString(K8S.resolve("kustomization.yaml")));
		List<String> resources = (List<String>) kustomization.get("resources");
		assertThat(resources).contains("deployment.yaml", "service.yaml", "configmap.yaml", "serviceaccount.yaml",
				"role.yaml", "rolebinding.yaml");
		assertThat(resources).allSatisfy(r -> assertThat(K8S.resolve(r)).isRegularFile());
		assertThat(resources).noneMatch(r -> r.startsWith("tasks") || r.contains("secret.example"));
	}

	@Test
	void theDeploymentProbesTheActuatorRunsUnprivilegedAndOutlastsTheShutdownGrace() throws IOException {
		Deployment deployment = (Deployment) parse(K8S.resolve("deployment.yaml")).get(0);
		ConfigMap config = (ConfigMap) parse(K8S.resolve("configmap.yaml")).get(0);
		var pod = deployment.getSpec().getTemplate().getSpec();
		var container = pod.getContainers().get(0);
		assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
		assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
		assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
		assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
		assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
		assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
		assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
		assertThat(pod.getServiceAccountName()).isEqualTo("aegir-backend");

		long preStop = Long.parseLong(container.getLifecycle().getPreStop().getExec().getCommand().get(1));
		long grace = DurationStyle.detectAndParse(config.getData().get("AEGIR_EXECUTOR_SHUTDOWN_GRACE")).toSeconds();
		// The executor waits the grace, then gives cancelled runs 30 s to stop
		// (OperationRunner.STOP_WAIT).
		assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(preStop + grace + 30);
		long phase = DurationStyle.detectAndParse(config.getData().get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE"))
			.toSeconds();
		assertThat(phase).isGreaterThan(grace + 30);
	}

	private List<HasMetadata> parse(Path manifest) throws IOException {
		return TaskTemplates.objectsOf(serialization.unmarshal(Files.readString(manifest)));
	}

}
