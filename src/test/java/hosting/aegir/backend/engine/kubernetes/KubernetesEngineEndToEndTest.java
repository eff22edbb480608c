package hosting.aegir.backend.engine.kubernetes;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kubernetes engine through the HTTP API, on Fabric8's mock API server in CRUD mode,
 * the test playing the Job and Deployment controllers. Environments are applied by
 * create-or-replace here (the mock cannot do server-side apply); everything else is the
 * production path.
 */
@PostgresTest
@Import(MockClusterConfig.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
// Its own mock cluster and engine: no other test can share the context, so free its
// connections after.
@DirtiesContext
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.kubernetes.enabled=true", "aegir.kubernetes.namespaces=" + MockCluster.NAMESPACE,
				"aegir.kubernetes.image-prefixes=registry.example.org/sites/", "aegir.kubernetes.issuer=letsencrypt",
				"aegir.kubernetes.ingress-class=nginx", "aegir.kubernetes.storage-class=fast",
				"aegir.kubernetes.job-ttl=30m", "aegir.executor.concurrency=4",
				"aegir.executor.heartbeat-interval=500ms", "aegir.log.flush-interval=100ms" })
class KubernetesEngineEndToEndTest {

	static final Duration RUN = Duration.ofSeconds(60);

	static final String IMAGE = "registry.example.org/sites/drupal:10.3";

	@LocalServerPort
	int port;

	@Autowired
	MockCluster cluster;

	ApiClient api;

	KubernetesClient k8s;

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
		k8s = cluster.client();
	}

	@Test
	void anInstallJobSucceedsAndItsPodLogIsInTheOperationLog() {
		// Every character a URL's user information could end at, or urldecode misread.
		String password = "S3cret-" + UUID.randomUUID() + "@evil.example:3306/x?y#z+ %41&é";
		Map<String, Object> vars = new HashMap<>(install(password));
		vars.put("site_name", "$(AEGIR_DB_URL) $$ `id` {{ x }}");
		UUID id = submit(
				operation("site-" + UUID.randomUUID(), site("mysite"), task("aegir.k8s.InstallDrupalSite", vars)));
		Job job = cluster.awaitJob(id);

		assertThat(job.getMetadata().getName()).isEqualTo("aegir-" + id + "-1-0");
		assertThat(job.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "aegir-backend")
			.containsEntry("aegir.hosting/operation", id.toString());
		assertThat(job.getSpec().getBackoffLimit()).isZero();
		assertThat(job.getSpec().getActiveDeadlineSeconds()).isBetween(3600L, 3600L + 10);
		assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(1800);
		var podSpec = job.getSpec().getTemplate().getSpec();
		assertThat(podSpec.getSecurityContext().getRunAsNonRoot()).isTrue();
		assertThat(podSpec.getSecurityContext().getRunAsUser()).isEqualTo(33L);
		Container container = podSpec.getContainers().get(0);
		assertThat(container.getImage()).isEqualTo(IMAGE);
		assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
		assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
		assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
		assertThat(podSpec.getVolumes()
			.stream()
			.filter(v -> v.getPersistentVolumeClaim() != null)
			.map(v -> v.getPersistentVolumeClaim().getClaimName())).containsExactly("mysite-files");
		assertThat(container.getEnv()).anySatisfy(e -> {
			assertThat(e.getName()).isEqualTo("AEGIR_SITE_URI");
			assertThat(e.getValue()).isEqualTo("mysite.example.org");
		});
		// Kubernetes would expand $(AEGIR_DB_URL) in a value into the secret; "$$" keeps
		// it literal.
		assertThat(container.getEnv()).anySatisfy(e -> {
			assertThat(e.getName()).isEqualTo("AEGIR_SITE_NAME");
			assertThat(e.getValue()).isEqualTo("$$(AEGIR_DB_URL) $$$$ `id` {{ x }}");
		});
		assertThat(container.getEnv()).anySatisfy(e -> {
			assertThat(e.getName()).isEqualTo("AEGIR_ACCOUNT_PASS");
			assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(job.getMetadata().getName());
		});
		// The URL the engine built reaches drush through the Secret, like the password.
		assertThat(container.getEnv()).anySatisfy(e -> {
			assertThat(e.getName()).isEqualTo("AEGIR_DB_URL");
			assertThat(e.getValue()).isNull();
			assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(job.getMetadata().getName());
			assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("db-url");
		});
		assertThat(k8s.getKubernetesSerialization().asJson(job)).doesNotContain(password);
		// Expanded by the shell, an option would put the secret on drush's command line
		// (/proc/<pid>/cmdline).
		assertThat(String.join(" ", container.getCommand())).doesNotContain("$AEGIR_DB_URL", "$AEGIR_ACCOUNT_PASS",
				"--db-url=", "--account-pass=");
		await("the Job's Secret exists").atMost(RUN)
			.until(() -> k8s.secrets()
				.inNamespace(MockCluster.NAMESPACE)
				.withName(job.getMetadata().getName())
				.get() != null);
		Secret secret = k8s.secrets().inNamespace(MockCluster.NAMESPACE).withName(job.getMetadata().getName()).get();
		assertThat(k8s.getKubernetesSerialization().asJson(secret)).doesNotContain(password);
		assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
			.satisfies(o -> assertThat(o.getUid()).isEqualTo(job.getMetadata().getUid()));
		// The server is the environment's own database Service, whatever the password
		// holds: percent-encoded, it cannot end the user information.
		String encoded = "S3cret-" + password.substring(7, 43)
				+ "%40evil.example%3A3306%2Fx%3Fy%23z%2B%20%2541%26%C3%A9";
		assertThat(decoded(secret, "db-url")).isEqualTo("mysql://drupal:" + encoded + "@mysite-database/drupal");
		assertThat(URI.create(decoded(secret, "db-url"))).satisfies(url -> {
			assertThat(url.getScheme()).isEqualTo("mysql");
			assertThat(url.getHost()).isEqualTo("mysite-database");
			assertThat(url.getPort()).isEqualTo(-1);
			assertThat(url.getPath()).isEqualTo("/drupal");
			assertThat(url.getUserInfo()).isEqualTo("drupal:" + password);
		});
		assertThat(decoded(secret, "db-password")).isEqualTo(password);

		Pod pod = cluster.createPod(job);
		cluster.serveLog(pod, "Installing Drupal\nInstallation complete.\n");
		cluster.running(pod);
		await("the pod's log is in the operation's log while it runs").atMost(RUN)
			.until(() -> log(id).contains("Installation complete.") && "RUNNING".equals(status(id)));
		cluster.terminated(pod, 0, "Completed", null);
		cluster.complete(job);

		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(op.get("exitCode").asInt()).isZero();
		assertThat(log(id)).contains("Installing Drupal\nInstallation complete.");
		JsonNode events = api.json(api.get("/api/v1/operations/" + id + "/events", VIEWER)).get("events");
		assertThat(events.valueStream().map(e -> e.get("task").asString()))
			.contains("Job " + job.getMetadata().getName());
		assertThat(op.get("tasks").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
		String everything = op + log(id) + events;
		assertThat(everything).doesNotContain(password).doesNotContain(encoded);
	}

	/**
	 * A URL would let the request choose the driver ({@code sqlite://} writes a file
	 * anywhere) and the server: the install takes the database's names and password, and
	 * a {@code db_url}, in the task's vars or the operation's, is refused before anything
	 * is stored.
	 */
	@Test
	void aDatabaseUrlInARequestIsRefusedNamingIt() {
		String before = newest();
		int jobsBefore = k8s.batch().v1().jobs().inNamespace(MockCluster.NAMESPACE).list().getItems().size();
		Map<String, Object> vars = new HashMap<>(install("x"));
		vars.put("db_url", "sqlite://localhost//root/.ssh/authorized_keys2");
		HttpResponse<String> inTask = api.post("/api/v1/operations", SUBMITTER,
				api.write(operation("site-x", site("urls"), task("aegir.k8s.InstallDrupalSite", vars))));
		assertThat(inTask.statusCode()).as(inTask.body()).isEqualTo(422);
		assertThat(inTask.headers().firstValue("Content-Type"))
			.hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
		assertThat(api.json(inTask).get("errors")).singleElement().satisfies(error -> {
			assertThat(error.get("field").asString()).isEqualTo("tasks[0].vars.db_url");
			assertThat(error.get("message").asString())
				.isEqualTo("task 'aegir.k8s.InstallDrupalSite' takes no variable 'db_url'");
		});

		Map<String, Object> operationVars = new HashMap<>(site("urls"));
		operationVars.put("db_url", "mysql://drupal:x@db.other-tenant/drupal");
		HttpResponse<String> inOperation = api.post("/api/v1/operations", SUBMITTER,
				api.write(operation("site-x", operationVars, task("aegir.k8s.InstallDrupalSite", install("x")))));
		assertThat(inOperation.statusCode()).as(inOperation.body()).isEqualTo(422);
		assertThat(api.json(inOperation).get("errors")).singleElement()
			.satisfies(error -> assertThat(error.get("field").asString()).isEqualTo("vars.db_url"));

		assertThat(newest()).as("no operation stored").isEqualTo(before);
		assertThat(k8s.batch().v1().jobs().inNamespace(MockCluster.NAMESPACE).list().getItems()).hasSize(jobsBefore);
	}

	@Test
	void aBackupJobReturnsItsPathThroughTheTerminationMessage() {
		String target = "site-" + UUID.randomUUID();
		UUID id = submit(operation(target, site("backedup"), task("aegir.k8s.GenerateDrupalSiteBackup", Map.of())));
		Job job = cluster.awaitJob(id);
		assertThat(job.getSpec()
			.getTemplate()
			.getSpec()
			.getVolumes()
			.stream()
			.filter(v -> v.getPersistentVolumeClaim() != null)
			.map(v -> v.getPersistentVolumeClaim().getClaimName())).containsExactly("backedup-files", "aegir-backups");
		// The tenant's image sees its own environment's folder of the backup volume, and
		// no other.
		assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts())
			.filteredOn(m -> "backups".equals(m.getName()))
			.singleElement()
			.satisfies(m -> {
				assertThat(m.getSubPath()).isEqualTo("backedup");
				assertThat(m.getMountPath()).isEqualTo("/backups/backedup");
			});
		Pod pod = cluster.createPod(job);
		cluster.serveLog(pod, "Archive saved\n");
		cluster.running(pod);
		String path = "/backups/backedup/backedup.example.org-20260101T000000Z.tar.gz";
		cluster.terminated(pod, 0, "Completed", "{\"backup_path\": \"" + path + "\", \"backup_size\": 12345}");
		cluster.complete(job);

		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(op.get("outputs").get("backup_path").asString()).isEqualTo(path);
		assertThat(op.get("outputs").get("backup_size").asLong()).isEqualTo(12345);
		JsonNode backups = api.json(api.get("/api/v1/backups?target=" + target, VIEWER));
		assertThat(backups).hasSize(1);
		assertThat(backups.get(0).get("path").asString()).isEqualTo(path);
		assertThat(backups.get(0).get("sizeBytes").asLong()).isEqualTo(12345);
		assertThat(backups.get(0).get("operationId").asString()).isEqualTo(id.toString());
	}

	@Test
	void aBackupPathOutsideTheJobsEnvironmentFailsTheTaskAndIsNotIndexed() {
		String sha = "ab".repeat(32);
		for (String path : List.of("/backups/other-env/x.tar.gz", "/backups/escaping/../other-env/x.tar.gz",
				"/backups/escaping/./x.tar.gz", "/backups/escaping", "/backups/escaping-not/x.tar.gz", "/etc/passwd")) {
			String target = "site-" + UUID.randomUUID();
			UUID id = submit(operation(target, site("escaping"), task("aegir.k8s.GenerateDrupalSiteBackup", Map.of())));
			JsonNode op = completedWith(id,
					"{\"backup_path\": \"" + path + "\", \"backup_size\": 1, " + "\"backup_sha256\": \"" + sha + "\"}");

			assertThat(op.get("status").asString()).as(path).isEqualTo("FAILED");
			assertThat(op.get("reason").asString()).as(path)
				.contains("reported backup path '" + path + "' outside its environment's backup directory "
						+ "/backups/escaping/")
				.contains("not recorded");
			assertThat(op.get("outputs").has("backup_path")).as(path).isFalse();
			assertThat(api.json(api.get("/api/v1/backups?target=" + target, VIEWER))).as(path).isEmpty();
		}
	}

	@Test
	void aJobWithoutTheBackupVolumeCannotReportABackup() {
		String target = "site-" + UUID.randomUUID();
		UUID id = submit(operation(target, site("cronning"), task("aegir.k8s.RunDrupalCron", Map.of())));
		JsonNode op = completedWith(id, "{\"backup_path\": \"/backups/cronning/x.tar.gz\"}");

		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("but mounts no backup directory");
		assertThat(api.json(api.get("/api/v1/backups?target=" + target, VIEWER))).isEmpty();
	}

	// Plays the Job controller and kubelet: the task's pod runs and ends with this
	// termination message.
	private JsonNode completedWith(UUID id, String terminationMessage) {
		Job job = cluster.awaitJob(id);
		Pod pod = cluster.createPod(job);
		cluster.serveLog(pod, "done\n");
		cluster.running(pod);
		cluster.terminated(pod, 0, "Completed", terminationMessage);
		cluster.complete(job);
		return finished(id);
	}

	@Test
	void aFailingJobFailsTheOperationWithThePodsReason() {
		UUID pulling = submit(
				operation("site-" + UUID.randomUUID(), site("pulling"), task("aegir.k8s.RunDrupalCron", Map.of())));
		Job job = cluster.awaitJob(pulling);
		Pod pod = cluster.createPod(job);
		cluster.waiting(pod, "ImagePullBackOff", "Back-off pulling image \"" + IMAGE + "\"");
		cluster.fail(job, "DeadlineExceeded", "Job was active longer than specified deadline");
		JsonNode op = finished(pulling);
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("DeadlineExceeded").contains("ImagePullBackOff");

		UUID oom = submit(
				operation("site-" + UUID.randomUUID(), site("oom"), task("aegir.k8s.RunDrupalCron", Map.of())));
		Job oomJob = cluster.awaitJob(oom);
		Pod oomPod = cluster.createPod(oomJob);
		cluster.serveLog(oomPod, "running cron\n");
		cluster.running(oomPod);
		cluster.terminated(oomPod, 137, "OOMKilled", null);
		cluster.fail(oomJob, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
		JsonNode oomOp = finished(oom);
		assertThat(oomOp.get("status").asString()).isEqualTo("FAILED");
		assertThat(oomOp.get("exitCode").asInt()).isEqualTo(137);
		assertThat(oomOp.get("reason").asString()).contains("BackoffLimitExceeded").contains("OOMKilled");
		assertThat(oomOp.get("tasks").get(0).get("status").asString()).isEqualTo("FAILED");
	}

	@Test
	void cancelDeletesTheJob() {
		UUID id = submit(
				operation("site-" + UUID.randomUUID(), site("cancelled"), task("aegir.k8s.RunDrupalCron", Map.of())));
		Job job = cluster.awaitJob(id);
		Pod pod = cluster.createPod(job);
		cluster.running(pod);
		assertThat(api.post("/api/v1/operations/" + id + "/cancel", SUBMITTER, null).statusCode()).isEqualTo(202);
		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).isEqualTo("CANCELLED");
		assertThat(op.get("reason").asString()).isEqualTo("cancelled by test-frontend");
		assertThat(cluster.jobs(id)).isEmpty();
		assertThat(log(id)).contains("deleting Job " + job.getMetadata().getName() + " (foreground propagation)");
	}

	@Test
	void aDeadlineEndsTheOperationTimedOutAndDeletesTheJob() {
		Map<String, Object> body = operation("site-" + UUID.randomUUID(), site("slow"),
				task("aegir.k8s.RunDrupalCron", Map.of()));
		body.put("timeoutSeconds", 3);
		UUID id = submit(body);
		Job job = cluster.awaitJob(id);
		assertThat(job.getSpec().getActiveDeadlineSeconds()).isBetween(1L, 3L + 10);
		cluster.running(cluster.createPod(job));
		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).isEqualTo("TIMED_OUT");
		await("the Job is deleted").atMost(RUN).until(() -> cluster.jobs(id).isEmpty());
	}

	@Test
	void aResubmittedOperationNeverCreatesASecondJob() {
		String key = "k8s-" + UUID.randomUUID();
		String body = api
			.write(operation("site-" + UUID.randomUUID(), site("once"), task("aegir.k8s.RunDrupalCron", Map.of())));
		HttpResponse<String> first = api.post("/api/v1/operations", SUBMITTER, body, "Idempotency-Key", key);
		UUID id = UUID.fromString(api.json(first).get("id").asString());
		Job job = cluster.awaitJob(id);
		HttpResponse<String> again = api.post("/api/v1/operations", SUBMITTER, body, "Idempotency-Key", key);
		assertThat(api.json(again).get("id").asString()).isEqualTo(id.toString());
		Pod pod = cluster.createPod(job);
		cluster.serveLog(pod, "cron done\n");
		cluster.running(pod);
		cluster.terminated(pod, 0, "Completed", null);
		cluster.complete(job);
		assertThat(finished(id).get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(cluster.jobs(id)).hasSize(1);
	}

	@Test
	void deployEnvironmentCreatesEveryResourceWithTheOwnerLabelsAndIsIdempotent() {
		String target = "site-" + UUID.randomUUID();
		Map<String, Object> vars = new LinkedHashMap<>(site("envone"));
		vars.remove("site_uri");
		vars.put("host_names", List.of("envone.example.org", "www.envone.example.org"));
		vars.put("replicas", 2);
		vars.put("db_password", "db-" + UUID.randomUUID());
		UUID first = submit(operation(target, vars, task("aegir.k8s.DeployEnvironment", Map.of())));
		await("both Deployments exist").atMost(RUN)
			.until(() -> deployment("envone-drupal") != null && deployment("envone-database") != null);
		cluster.available("envone-database");
		cluster.available("envone-drupal");
		JsonNode op = finished(first);
		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");

		List<HasMetadata> objects = environmentObjects("envone");
		assertThat(objects).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
			.containsExactlyInAnyOrder("Secret/envone-database", "PersistentVolumeClaim/envone-files",
					"PersistentVolumeClaim/envone-database", "Deployment/envone-database", "Service/envone-database",
					"Deployment/envone-drupal", "Service/envone-drupal", "Ingress/envone-drupal");
		assertThat(objects).allSatisfy(o -> assertThat(o.getMetadata().getLabels())
			.containsEntry("app.kubernetes.io/managed-by", "aegir-backend")
			.containsEntry("aegir.hosting/environment", "envone"));
		Deployment drupal = deployment("envone-drupal");
		assertThat(drupal.getSpec().getReplicas()).isEqualTo(2);
		assertThat(drupal.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo(IMAGE);
		assertThat(drupal.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
		assertThat(deployment("envone-database").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
			.isEqualTo("mariadb:11.4");
		assertThat(k8s.persistentVolumeClaims()
			.inNamespace(MockCluster.NAMESPACE)
			.withName("envone-files")
			.get()
			.getSpec()
			.getStorageClassName()).isEqualTo("fast");
		Ingress ingress = k8s.network()
			.v1()
			.ingresses()
			.inNamespace(MockCluster.NAMESPACE)
			.withName("envone-drupal")
			.get();
		assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
		assertThat(ingress.getMetadata().getAnnotations()).containsEntry("cert-manager.io/cluster-issuer",
				"letsencrypt");
		assertThat(ingress.getSpec().getRules()).extracting(r -> r.getHost())
			.containsExactly("envone.example.org", "www.envone.example.org");
		assertThat(ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getName())
			.isEqualTo("envone-drupal");
		assertThat(ingress.getSpec().getTls().get(0).getHosts()).containsExactly("envone.example.org",
				"www.envone.example.org");
		Service service = k8s.services().inNamespace(MockCluster.NAMESPACE).withName("envone-drupal").get();
		assertThat(service.getSpec().getSelector()).isEqualTo(drupal.getSpec().getSelector().getMatchLabels());
		assertThat(applyEvents(first)).hasSize(8).allSatisfy(e -> {
			assertThat(e.get("changed").asBoolean()).isTrue();
			assertThat(e.get("message").asString()).isEqualTo("created");
		});

		Map<String, String> versions = versions(objects);
		UUID second = submit(operation(target, vars, task("aegir.k8s.DeployEnvironment", Map.of())));
		assertThat(finished(second).get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(applyEvents(second)).hasSize(8).allSatisfy(e -> {
			assertThat(e.get("changed").asBoolean()).isFalse();
			assertThat(e.get("message").asString()).isEqualTo("unchanged");
		});
		assertThat(versions(environmentObjects("envone"))).isEqualTo(versions);

		UUID deleted = submit(
				operation(target, Map.of("environment_name", "envone"), task("aegir.k8s.DeleteEnvironment", Map.of())));
		assertThat(finished(deleted).get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(environmentObjects("envone")).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
			.containsExactlyInAnyOrder("PersistentVolumeClaim/envone-files", "PersistentVolumeClaim/envone-database");

		UUID volumes = submit(operation(target, Map.of("environment_name", "envone", "delete_volumes", true),
				task("aegir.k8s.DeleteEnvironment", Map.of())));
		assertThat(finished(volumes).get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(environmentObjects("envone")).isEmpty();
	}

	@Test
	void deleteEnvironmentLeavesAloneWhatTheServiceDidNotMake() {
		k8s.services()
			.inNamespace(MockCluster.NAMESPACE)
			.resource(new io.fabric8.kubernetes.api.model.ServiceBuilder().withNewMetadata()
				.withName("foreign-drupal")
				.withLabels(Map.of("app", "someone-else"))
				.endMetadata()
				.withNewSpec()
				.addNewPort()
				.withPort(80)
				.endPort()
				.endSpec()
				.build())
			.create();
		UUID id = submit(operation("site-" + UUID.randomUUID(), Map.of("environment_name", "foreign"),
				task("aegir.k8s.DeleteEnvironment", Map.of())));
		JsonNode op = finished(id);
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("Service/foreign-drupal was not made by aegir-backend");
		assertThat(k8s.services().inNamespace(MockCluster.NAMESPACE).withName("foreign-drupal").get()).isNotNull();
	}

	@Test
	void hostileNamesLabelsNamespacesAndImagesAreRefusedBeforeAnyObjectExists() {
		String before = newest();
		int objectsBefore = k8s.batch().v1().jobs().inNamespace(MockCluster.NAMESPACE).list().getItems().size()
				+ environmentObjects("evil").size();
		Map<String, Map<String, Object>> hostile = new LinkedHashMap<>();
		hostile.put("hosts", withHosts("kube-system"));
		hostile.put("hosts ", withHosts("Aegir_Sites"));
		for (String environment : List.of("../etc", "a;rm -rf /", "UPPER", "-lead", "x".repeat(41), "a.b", "ev il")) {
			hostile.put("vars.environment_name " + environment,
					operation("site-x", site(environment), task("aegir.k8s.RunDrupalCron", Map.of())));
		}
		for (String uri : List.of("evil.org\nHost: x", "evil.org/../x", "$(touch /tmp/x)", "EVIL.ORG")) {
			Map<String, Object> vars = new HashMap<>(site("evil"));
			vars.put("site_uri", uri);
			hostile.put("vars.site_uri " + uri, operation("site-x", vars, task("aegir.k8s.RunDrupalCron", Map.of())));
		}
		for (String image : List.of("docker.io/evil/drupal:1", "registry.example.org/sitesevil/drupal:1",
				"registry.example.org/sites/../evil:1", "registry.example.org/sites/drupal:1 --privileged",
				"registry.example.org/sites/", "registry.example.org.evil.com/sites/drupal")) {
			hostile.put("tasks[0].vars.image " + image,
					operation("site-x", Map.of("environment_name", "evil", "site_uri", "evil.org"),
							task("aegir.k8s.RunDrupalCron", Map.of("image", image))));
		}
		Map<String, Object> hosts = new LinkedHashMap<>(site("evil"));
		hosts.remove("site_uri");
		hosts.put("host_names", List.of("evil.org", "*.example.org"));
		hosts.put("db_password", "x");
		hostile.put("vars.host_names", operation("site-x", hosts, task("aegir.k8s.DeployEnvironment", Map.of())));
		for (String profile : List.of("--existing-config", "standard --root=/x")) {
			hostile.put("tasks[0].vars.install_profile " + profile, installWith("install_profile", profile));
		}
		for (String name : List.of("mysql", "INFORMATION_SCHEMA", "drupal;DROP", "d/../x", "a b", "x".repeat(65), "")) {
			hostile.put("tasks[0].vars.db_name " + name, installWith("db_name", name));
		}
		for (String user : List.of("root", "drupal@%", "a:b", "x".repeat(33), "")) {
			hostile.put("tasks[0].vars.db_user " + user, installWith("db_user", user));
		}
		for (String password : List.of("", "a\nb", "tab\there", "x".repeat(129))) {
			hostile.put("tasks[0].vars.db_password " + password, installWith("db_password", password));
		}
		for (Object replicas : List.of(100000, 0, -1, 11)) {
			Map<String, Object> many = new LinkedHashMap<>(hosts);
			many.put("host_names", List.of("evil.org"));
			many.put("replicas", replicas);
			hostile.put("vars.replicas " + replicas,
					operation("site-x", many, task("aegir.k8s.DeployEnvironment", Map.of())));
		}
		hostile.forEach((expected, body) -> {
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
			assertThat(response.statusCode()).as(expected + ": " + response.body()).isEqualTo(422);
			assertThat(api.json(response).get("errors").get(0).get("field").asString()).as(expected)
				.isEqualTo(expected.split(" ")[0]);
		});
		assertThat(newest()).as("no operation stored").isEqualTo(before);
		assertThat(k8s.batch().v1().jobs().inNamespace(MockCluster.NAMESPACE).list().getItems().size()
				+ environmentObjects("evil").size())
			.isEqualTo(objectsBefore);
	}

	@Test
	void theCatalogListsTheKubernetesTasksAndReadinessIncludesTheEngine() {
		JsonNode tasks = api.json(api.get("/api/v1/tasks", VIEWER));
		List<String> names = new ArrayList<>();
		tasks.valueStream()
			.filter(t -> t.get("engine").asString().equals("kubernetes"))
			.forEach(t -> names.add(t.get("name").asString()));
		assertThat(names).containsExactlyInAnyOrder("aegir.k8s.DeployEnvironment", "aegir.k8s.DeleteEnvironment",
				"aegir.k8s.InstallDrupalSite", "aegir.k8s.RunDrupalCron", "aegir.k8s.GenerateDrupalSiteBackup");
		JsonNode install = tasks.valueStream()
			.filter(t -> t.get("name").asString().equals("aegir.k8s.InstallDrupalSite"))
			.findFirst()
			.orElseThrow();
		assertThat(install.get("variables").valueStream().filter(v -> v.get("name").asString().equals("account_pass")))
			.singleElement()
			.satisfies(v -> assertThat(v.get("noLog").asBoolean()).isTrue());

		HttpResponse<String> unknownVar = api.post("/api/v1/operations", SUBMITTER, api
			.write(operation("site-x", site("x"), task("aegir.k8s.RunDrupalCron", Map.of("command", "rm -rf /")))));
		assertThat(unknownVar.statusCode()).isEqualTo(422);
		assertThat(api.json(unknownVar).get("errors").get(0).get("field").asString())
			.isEqualTo("tasks[0].vars.command");

		JsonNode health = api.json(api.get("/actuator/health/readiness", VIEWER));
		assertThat(health.get("components")).as(health.toString()).isNotNull();
		assertThat(health.get("components").get("kubernetes")).as(health.toString()).isNotNull();
		assertThat(health.get("components").get("kubernetes").get("status").asString()).as(health.toString())
			.isEqualTo("UP");
	}

	@Test
	void aDryRunIsRefusedNamingTheCheckField() {
		Map<String, Object> body = operation("site-dry", site("dry"), task("aegir.k8s.RunDrupalCron", Map.of()));
		body.put("check", true);
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
		assertThat(api.json(response).get("errors").get(0).get("field").asString()).isEqualTo("check");
		assertThat(response.body()).contains("cannot do a dry run");
	}

	/**
	 * Runs last: every request the engine made to the API server in this class is one the
	 * Role grants, and the Role grants nothing the engine did not need.
	 */
	@Test
	@Order(Integer.MAX_VALUE)
	void theRoleGrantsExactlyWhatTheEngineUsed() throws Exception {
		java.util.Set<String> used = new java.util.TreeSet<>();
		io.fabric8.mockwebserver.http.RecordedRequest request;
		while ((request = cluster.server().takeRequest(1, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
			String agent = request.getHeader("User-Agent");
			if (agent == null || !agent.contains(MockCluster.CONTROLLER_AGENT)) {
				used.addAll(RolePermissions.needed(request));
			}
		}
		assertThat(RolePermissions.granted(java.nio.file.Path.of("k8s/role.yaml"))).as("what k8s/role.yaml grants")
			.isEqualTo(used);
	}

	// ---- helpers
	// ----------------------------------------------------------------------------------

	private List<JsonNode> applyEvents(UUID id) {
		List<JsonNode> found = new ArrayList<>();
		api.json(api.get("/api/v1/operations/" + id + "/events", VIEWER)).get("events").forEach(e -> {
			if (e.get("task").asString().startsWith("apply ")) {
				found.add(e);
			}
		});
		return found;
	}

	private List<HasMetadata> environmentObjects(String environment) {
		List<HasMetadata> objects = new ArrayList<>();
		String ns = MockCluster.NAMESPACE;
		String label = "aegir.hosting/environment";
		objects.addAll(k8s.secrets().inNamespace(ns).withLabel(label, environment).list().getItems());
		objects.addAll(k8s.persistentVolumeClaims().inNamespace(ns).withLabel(label, environment).list().getItems());
		objects.addAll(k8s.apps().deployments().inNamespace(ns).withLabel(label, environment).list().getItems());
		objects.addAll(k8s.services().inNamespace(ns).withLabel(label, environment).list().getItems());
		objects.addAll(k8s.network().v1().ingresses().inNamespace(ns).withLabel(label, environment).list().getItems());
		objects.removeIf(o -> o instanceof Secret s && s.getMetadata().getOwnerReferences() != null
				&& !s.getMetadata().getOwnerReferences().isEmpty());
		return objects;
	}

	private static Map<String, String> versions(List<HasMetadata> objects) {
		Map<String, String> versions = new HashMap<>();
		objects.forEach(
				o -> versions.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
		return versions;
	}

	private Deployment deployment(String name) {
		return k8s.apps().deployments().inNamespace(MockCluster.NAMESPACE).withName(name).get();
	}

	// The install's own variables, for a database named and accessed as
	// aegir.k8s.DeployEnvironment makes it.
	static Map<String, Object> install(String password) {
		return Map.of("db_name", "drupal", "db_user", "drupal", "db_password", password, "account_pass", password);
	}

	private static Map<String, Object> installWith(String variable, String value) {
		Map<String, Object> vars = new HashMap<>(install("x"));
		vars.put(variable, value);
		return operation("site-x", site("evil"), task("aegir.k8s.InstallDrupalSite", vars));
	}

	private static String decoded(Secret secret, String key) {
		return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
	}

	static Map<String, Object> site(String environment) {
		Map<String, Object> vars = new LinkedHashMap<>();
		vars.put("environment_name", environment);
		vars.put("image", IMAGE);
		vars.put("site_uri", environment + ".example.org");
		return vars;
	}

	static Map<String, Object> operation(String target, Map<String, Object> vars, Map<String, Object> task) {
		Map<String, Object> body = new HashMap<>();
		body.put("type", "site.test");
		body.put("engine", "kubernetes");
		body.put("target", target);
		body.put("hosts", MockCluster.NAMESPACE);
		body.put("vars", vars);
		body.put("tasks", List.of(task));
		return body;
	}

	private static Map<String, Object> withHosts(String hosts) {
		Map<String, Object> body = operation("site-x", site("fine"), task("aegir.k8s.RunDrupalCron", Map.of()));
		body.put("hosts", hosts);
		return body;
	}

	static Map<String, Object> task(String name, Map<String, Object> vars) {
		return Map.of("name", name, "vars", vars);
	}

	private UUID submit(Map<String, Object> body) {
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

	private JsonNode finished(UUID id) {
		await(id + " finishes").atMost(RUN)
			.until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(status(id)));
		return api.json(api.get("/api/v1/operations/" + id, VIEWER));
	}

	private String status(UUID id) {
		return api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString();
	}

	private String log(UUID id) {
		StringBuilder text = new StringBuilder();
		api.json(api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER))
			.get("lines")
			.forEach(l -> text.append(l.get("text").asString()).append('\n'));
		return text.toString();
	}

	// The newest operation's id (the list has no count): unchanged means nothing was
	// stored.
	private String newest() {
		JsonNode items = api.json(api.get("/api/v1/operations?size=1", VIEWER)).get("items");
		return items.isEmpty() ? "" : items.get(0).get("id").asString();
	}

}
