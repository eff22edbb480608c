package hosting.aegir.backend.engine.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import hosting.aegir.backend.engine.kubernetes.TaskTemplates.Option;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a task's Job template into the Job of one task of one attempt, setting every
 * field that depends on the request or the operator as a typed field: name, labels,
 * image, environment, volume claims, deadline, TTL, resources, and a non-root security
 * context.
 */
class JobFactory {

	/** The claim name a task template gives the operator's backup volume. */
	static final String BACKUPS = "backups";

	/**
	 * The options from which the engine builds a task's database URL, when its spec has
	 * them all.
	 */
	static final List<String> DATABASE_OPTIONS = List.of("db_name", "db_user", "db_password");

	/**
	 * The secret variable ({@code AEGIR_DB_URL}) holding the database URL the engine
	 * built.
	 */
	static final String DATABASE_URL = "db_url";

	private final KubernetesProperties properties;

	private final TaskTemplates templates;

	private final JsonMapper json;

	JobFactory(KubernetesProperties properties, TaskTemplates templates, JsonMapper json) {
		this.properties = properties;
		this.templates = templates;
		this.json = json;
	}

	/** A Job, and the Secret holding its secret variables (null when it has none). */
	record JobAndSecret(Job job, Secret secret) {
	}

	JobAndSecret build(RunTask task, long deadlineSeconds) {
		Job job = templates.job(task.name());
		List<String> backupVolumes = backupVolumes(job);
		String name = Names.job(task.operationId(), task.attempt(), task.index());
		Map<String, String> labels = new LinkedHashMap<>();
		labels.put(Names.MANAGED_BY, Names.MANAGER);
		labels.put(Names.OPERATION, task.operationId().toString());
		labels.put(Names.ATTEMPT, Integer.toString(task.attempt()));
		labels.put(Names.TASK_INDEX, Integer.toString(task.index()));
		String environment = task.string("environment_name");
		if (environment != null) {
			labels.put(Names.ENVIRONMENT, environment);
		}
		ObjectMeta meta = new ObjectMeta();
		meta.setName(name);
		meta.setNamespace(task.namespace());
		meta.setLabels(labels);
		meta.setAnnotations(Map.of("aegir.hosting/task", task.name()));
		job.setMetadata(meta);

		var spec = job.getSpec();
		spec.setBackoffLimit(0);
		spec.setActiveDeadlineSeconds(Math.max(1, deadlineSeconds));
		spec.setTtlSecondsAfterFinished((int) properties.jobTtl().toSeconds());
		ObjectMeta podMeta = new ObjectMeta();
		podMeta.setLabels(new LinkedHashMap<>(labels));
		spec.getTemplate().setMetadata(podMeta);

		PodSpec pod = spec.getTemplate().getSpec();
		pod.setRestartPolicy("Never");
		pod.setAutomountServiceAccountToken(false);
		pod.setEnableServiceLinks(false);
		pod.setSecurityContext(podSecurity(properties));
		List<Volume> volumes = pod.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(pod.getVolumes());
		for (Volume volume : volumes) {
			if (volume.getPersistentVolumeClaim() != null) {
				volume.getPersistentVolumeClaim()
					.setClaimName(claim(volume.getPersistentVolumeClaim().getClaimName(), environment));
			}
		}
		confineBackupMounts(pod, backupVolumes, environment);
		Volume tmp = new Volume();
		tmp.setName("tmp");
		tmp.setEmptyDir(new EmptyDirVolumeSource());
		volumes.add(tmp);
		pod.setVolumes(volumes);

		Container container = pod.getContainers()
			.stream()
			.filter(c -> Names.TASK_CONTAINER.equals(c.getName()))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException(task.name() + "/job.yaml has no container named 'task'"));
		container.setImage(task.string("image"));
		container.setImagePullPolicy("IfNotPresent");
		container.setTerminationMessagePolicy("File");
		container.setResources(resources(properties));
		container.setSecurityContext(containerSecurity());
		List<VolumeMount> mounts = container.getVolumeMounts() == null ? new ArrayList<>()
				: new ArrayList<>(container.getVolumeMounts());
		VolumeMount tmpMount = new VolumeMount();
		tmpMount.setName("tmp");
		tmpMount.setMountPath("/tmp");
		mounts.add(tmpMount);
		container.setVolumeMounts(mounts);

		List<EnvVar> env = container.getEnv() == null ? new ArrayList<>() : new ArrayList<>(container.getEnv());
		Map<String, String> secretData = new LinkedHashMap<>();
		for (Option option : templates.get(task.name()).options().values()) {
			Object value = task.value(option.name());
			if (value == null) {
				continue;
			}
			String variable = "AEGIR_" + option.name().toUpperCase(Locale.ROOT);
			String text = text(value);
			if (option.noLog()) {
				secret(env, secretData, name, option.name(), text);
			}
			else {
				env.add(new EnvVar(variable, literal(text), null));
			}
		}
		String databaseUrl = databaseUrl(task, environment);
		if (databaseUrl != null) {
			secret(env, secretData, name, DATABASE_URL, databaseUrl);
		}
		container.setEnv(env);

		Secret secret = null;
		if (!secretData.isEmpty()) {
			secret = new SecretBuilder().withNewMetadata()
				.withName(name)
				.withNamespace(task.namespace())
				.withLabels(labels)
				.endMetadata()
				.withType("Opaque")
				.withData(secretData)
				.build();
		}
		return new JobAndSecret(job, secret);
	}

	/**
	 * The database URL of a task whose spec takes the database's name, user and password,
	 * on its environment's own database server; null for any other task.
	 */
	private String databaseUrl(RunTask task, String environment) {
		if (!templates.get(task.name()).options().keySet().containsAll(DATABASE_OPTIONS)) {
			return null;
		}
		return DatabaseUrl.mysql(environment, task.string("db_name"), task.string("db_user"),
				task.string("db_password"));
	}

	// A secret variable: its value in the Job's Secret, the container's variable a
	// reference to it (never the value itself, which anyone reading the Job would see).
	private static void secret(List<EnvVar> env, Map<String, String> secretData, String secretName, String option,
			String value) {
		String key = option.replace('_', '-');
		secretData.put(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
		env.add(new EnvVarBuilder().withName("AEGIR_" + option.toUpperCase(Locale.ROOT))
			.withNewValueFrom()
			.withNewSecretKeyRef()
			.withName(secretName)
			.withKey(key)
			.endSecretKeyRef()
			.endValueFrom()
			.build());
	}

	/**
	 * Where the task's Job sees its environment's backups (the task container's mount of
	 * the backups claim), or null when it mounts none: the only directory a
	 * {@code backup_path} it reports may lie in.
	 */
	String backupDirectory(RunTask task) {
		Job template = templates.job(task.name());
		List<String> backupVolumes = backupVolumes(template);
		String environment = task.string("environment_name");
		if (backupVolumes.isEmpty() || !Names.isLabel(environment)) {
			return null;
		}
		return template.getSpec()
			.getTemplate()
			.getSpec()
			.getContainers()
			.stream()
			.filter(c -> Names.TASK_CONTAINER.equals(c.getName()) && c.getVolumeMounts() != null)
			.flatMap(c -> c.getVolumeMounts().stream())
			.filter(m -> backupVolumes.contains(m.getName()))
			.map(m -> environmentDirectory(m.getMountPath(), environment))
			.findFirst()
			.orElse(null);
	}

	// The template's volumes that mount the operator's backup claim.
	private static List<String> backupVolumes(Job template) {
		List<Volume> volumes = template.getSpec().getTemplate().getSpec().getVolumes();
		return volumes == null ? List.of()
				: volumes.stream()
					.filter(v -> v.getPersistentVolumeClaim() != null
							&& BACKUPS.equals(v.getPersistentVolumeClaim().getClaimName()))
					.map(Volume::getName)
					.toList();
	}

	/**
	 * Every mount of the backup claim, in every container, sees only the environment's
	 * folder of it ({@code subPath}), at {@code <mountPath>/<environment>}: the tenant's
	 * image can neither read nor overwrite another environment's dumps, and the paths it
	 * reports are those of a whole-volume mount.
	 */
	private static void confineBackupMounts(PodSpec pod, List<String> backupVolumes, String environment) {
		if (backupVolumes.isEmpty()) {
			return;
		}
		// Validated by the engine before the run; checked again, as it becomes a path.
		if (!Names.isLabel(environment)) {
			throw new IllegalStateException("a Job mounting the backups volume needs a valid environment_name");
		}
		List<Container> containers = new ArrayList<>(pod.getContainers());
		if (pod.getInitContainers() != null) {
			containers.addAll(pod.getInitContainers());
		}
		for (Container container : containers) {
			if (container.getVolumeMounts() == null) {
				continue;
			}
			for (VolumeMount mount : container.getVolumeMounts()) {
				if (backupVolumes.contains(mount.getName())) {
					mount.setSubPathExpr(null);
					mount.setSubPath(environment);
					mount.setMountPath(environmentDirectory(mount.getMountPath(), environment));
				}
			}
		}
	}

	private static String environmentDirectory(String mountPath, String environment) {
		return (mountPath.endsWith("/") ? mountPath : mountPath + "/") + environment;
	}

	/** The Secret, owned by its Job so that it goes when the Job goes. */
	static Secret ownedBy(Secret secret, Job job) {
		secret.getMetadata()
			.setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("batch/v1")
				.withKind("Job")
				.withName(job.getMetadata().getName())
				.withUid(job.getMetadata().getUid())
				.withBlockOwnerDeletion(false)
				.withController(false)
				.build()));
		return secret;
	}

	/**
	 * Kubernetes expands {@code $(NAME)} in an environment variable's value into another
	 * variable's; "$$" is its escape for a "$", so doubling every "$" keeps a client's
	 * value exactly as sent.
	 */
	static String literal(String value) {
		return value.replace("$", "$$");
	}

	private String claim(String templateClaim, String environment) {
		if (BACKUPS.equals(templateClaim)) {
			return properties.backupClaim();
		}
		if (environment == null) {
			throw new IllegalStateException("a Job mounting '" + templateClaim + "' needs an environment");
		}
		return environment + "-" + templateClaim;
	}

	private String text(Object value) {
		return value instanceof String s ? s : json.writeValueAsString(value);
	}

	static PodSecurityContext podSecurity(KubernetesProperties properties) {
		PodSecurityContext security = new PodSecurityContext();
		security.setRunAsNonRoot(true);
		security.setRunAsUser(properties.runAsUser());
		security.setRunAsGroup(properties.runAsUser());
		security.setFsGroup(properties.runAsUser());
		SeccompProfile seccomp = new SeccompProfile();
		seccomp.setType("RuntimeDefault");
		security.setSeccompProfile(seccomp);
		return security;
	}

	static SecurityContext containerSecurity() {
		SecurityContext security = new SecurityContext();
		security.setAllowPrivilegeEscalation(false);
		security.setReadOnlyRootFilesystem(true);
		Capabilities capabilities = new Capabilities();
		capabilities.setDrop(List.of("ALL"));
		security.setCapabilities(capabilities);
		return security;
	}

	static ResourceRequirements resources(KubernetesProperties properties) {
		ResourceRequirements resources = new ResourceRequirements();
		resources.setRequests(Map.of("cpu", new Quantity(properties.resources().cpuRequest()), "memory",
				new Quantity(properties.resources().memoryRequest())));
		resources.setLimits(Map.of("cpu", new Quantity(properties.resources().cpuLimit()), "memory",
				new Quantity(properties.resources().memoryLimit())));
		return resources;
	}

}
