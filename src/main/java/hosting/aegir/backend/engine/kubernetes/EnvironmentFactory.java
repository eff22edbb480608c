package hosting.aegir.backend.engine.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPathBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressSpec;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLSBuilder;

/**
 * Turns the {@code objects.yaml} of an environment task into the objects of one
 * environment: each named {@code <environment>-<suffix>}, labelled as the service's and
 * the environment's, with the references between them, the images, replicas, resources,
 * storage and ingress classes, host names and issuer set as typed fields.
 */
class EnvironmentFactory {

	/** The Drupal Deployment's and Service's suffix: the Ingress sends traffic there. */
	static final String SITE = "drupal";

	/** The MariaDB Deployment's, Service's, PVC's and Secret's suffix. */
	static final String DATABASE = "database";

	private final KubernetesProperties properties;

	private final TaskTemplates templates;

	EnvironmentFactory(KubernetesProperties properties, TaskTemplates templates) {
		this.properties = properties;
		this.templates = templates;
	}

	/**
	 * The objects as named and labelled for the environment, without what only a deploy
	 * needs to know.
	 */
	List<HasMetadata> named(String templateTask, String environment, String namespace) {
		List<HasMetadata> objects = templates.objects(templateTask);
		for (HasMetadata object : objects) {
			String suffix = object.getMetadata().getName();
			ObjectMeta meta = new ObjectMeta();
			meta.setName(environment + "-" + suffix);
			meta.setNamespace(namespace);
			meta.setLabels(labels(environment, suffix));
			object.setMetadata(meta);
		}
		return objects;
	}

	/** The objects of a deploy of the task's environment, ready to apply. */
	List<HasMetadata> build(RunTask task) {
		String environment = task.string("environment_name");
		List<HasMetadata> objects = named(task.name(), environment, task.namespace());
		for (HasMetadata object : objects) {
			String suffix = object.getMetadata().getLabels().get(Names.COMPONENT);
			if (object instanceof Secret secret) {
				secret.setData(Map.of("password", base64(String.valueOf(task.value("db_password")))));
			}
			else if (object instanceof PersistentVolumeClaim claim) {
				claim.getSpec().setStorageClassName(properties.storageClass());
				VolumeResourceRequirements resources = new VolumeResourceRequirements();
				resources.setRequests(Map.of("storage",
						new Quantity(DATABASE.equals(suffix) ? properties.databaseSize() : properties.filesSize())));
				claim.getSpec().setResources(resources);
			}
			else if (object instanceof Deployment deployment) {
				deployment(deployment, environment, suffix, task);
			}
			else if (object instanceof Service service) {
				service.getSpec().setSelector(selector(environment, suffix));
			}
			else if (object instanceof Ingress ingress) {
				ingress(ingress, environment, task);
			}
		}
		return objects;
	}

	private void deployment(Deployment deployment, String environment, String suffix, RunTask task) {
		var spec = deployment.getSpec();
		boolean site = SITE.equals(suffix);
		spec.setReplicas(site ? ((Number) task.value("replicas")).intValue() : 1);
		LabelSelector selector = new LabelSelector();
		selector.setMatchLabels(selector(environment, suffix));
		spec.setSelector(selector);
		ObjectMeta podMeta = new ObjectMeta();
		podMeta.setLabels(labels(environment, suffix));
		spec.getTemplate().setMetadata(podMeta);
		PodSpec pod = spec.getTemplate().getSpec();
		pod.setAutomountServiceAccountToken(false);
		pod.setEnableServiceLinks(false);
		pod.setSecurityContext(JobFactory.podSecurity(properties));
		pod.getVolumes()
			.stream()
			.filter(v -> v.getPersistentVolumeClaim() != null)
			.forEach(v -> v.getPersistentVolumeClaim()
				.setClaimName(environment + "-" + v.getPersistentVolumeClaim().getClaimName()));
		for (Container container : pod.getContainers()) {
			container.setImage(site ? task.string("image") : properties.databaseImage());
			container.setResources(JobFactory.resources(properties));
			List<EnvVar> env = new ArrayList<>(container.getEnv() == null ? List.of() : container.getEnv());
			env.stream()
				.filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
				.forEach(e -> e.getValueFrom()
					.getSecretKeyRef()
					.setName(environment + "-" + e.getValueFrom().getSecretKeyRef().getName()));
			if (site) {
				env.add(new EnvVar("AEGIR_DB_HOST", databaseHost(environment), null));
			}
			container.setEnv(env);
		}
	}

	private void ingress(Ingress ingress, String environment, RunTask task) {
		IngressSpec spec = new IngressSpec();
		spec.setIngressClassName(properties.ingressClass());
		List<String> hosts = hostNames(task);
		List<IngressRule> rules = new ArrayList<>();
		for (String host : hosts) {
			rules.add(new IngressRuleBuilder().withHost(host)
				.withNewHttp()
				.withPaths(new HTTPIngressPathBuilder().withPath("/")
					.withPathType("Prefix")
					.withNewBackend()
					.withNewService()
					.withName(environment + "-" + SITE)
					.withNewPort()
					.withNumber(80)
					.endPort()
					.endService()
					.endBackend()
					.build())
				.endHttp()
				.build());
		}
		spec.setRules(rules);
		if (properties.issuer() != null && !properties.issuer().isBlank()) {
			spec.setTls(List.of(new IngressTLSBuilder().withHosts(hosts).withSecretName(environment + "-tls").build()));
			ingress.getMetadata()
				.setAnnotations(Map.of("cert-manager.io/" + properties.issuerKind(), properties.issuer()));
		}
		ingress.setSpec(spec);
	}

	private static List<String> hostNames(RunTask task) {
		List<String> hosts = new ArrayList<>();
		if (task.value("host_names") instanceof List<?> list) {
			list.forEach(h -> hosts.add((String) h));
		}
		return hosts;
	}

	/**
	 * The host name of an environment's database server: its MariaDB Service, in the
	 * environment's namespace.
	 */
	static String databaseHost(String environment) {
		return environment + "-" + DATABASE;
	}

	static Map<String, String> labels(String environment, String component) {
		Map<String, String> labels = new LinkedHashMap<>();
		labels.put(Names.MANAGED_BY, Names.MANAGER);
		labels.put(Names.ENVIRONMENT, environment);
		labels.put(Names.COMPONENT, component);
		return labels;
	}

	private static Map<String, String> selector(String environment, String component) {
		Map<String, String> selector = new LinkedHashMap<>();
		selector.put(Names.ENVIRONMENT, environment);
		selector.put(Names.COMPONENT, component);
		return selector;
	}

	private static String base64(String text) {
		return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
	}

}
