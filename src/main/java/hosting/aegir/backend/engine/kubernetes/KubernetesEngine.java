package hosting.aegir.backend.engine.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.kubernetes.TaskTemplates.Option;
import hosting.aegir.backend.engine.kubernetes.TaskTemplates.Task;
import io.fabric8.kubernetes.client.KubernetesClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs an operation's tasks on Kubernetes, in order, in the namespace named by its
 * {@code hosts}: one-off work as Jobs (followed through the shared informers, their pods'
 * logs streamed into the operation's log, their termination message returned as outputs),
 * environments by applying their objects and waiting for their Deployments. Knows nothing
 * of HTTP or of the database.
 */
class KubernetesEngine implements Engine {

	private final KubernetesClient client;

	private final KubernetesProperties properties;

	private final TaskTemplates templates;

	private final ClusterWatch watch;

	private final JobFactory jobs;

	private final EnvironmentFactory environments;

	private final Applier applier;

	private final JsonMapper json;

	KubernetesEngine(KubernetesClient client, KubernetesProperties properties, TaskTemplates templates,
			ClusterWatch watch, Applier applier, JsonMapper json) {
		this.client = client;
		this.properties = properties;
		this.templates = templates;
		this.watch = watch;
		this.applier = applier;
		this.json = json;
		this.jobs = new JobFactory(properties, templates, json);
		this.environments = new EnvironmentFactory(properties, templates);
	}

	@Override
	public String name() {
		return "kubernetes";
	}

	@Override
	public Execution start(EngineRequest request, ExecutionListener listener) {
		KubernetesRun run = new KubernetesRun(request, listener, this);
		Thread thread = new Thread(run::run, "k8s-run-" + request.operationId());
		thread.setDaemon(true);
		thread.start();
		return run;
	}

	/**
	 * The namespace must be one the operator allows; every value that becomes part of an
	 * object's name, a label, a host name or an image is checked before anything is
	 * stored, let alone created.
	 */
	@Override
	public List<Refusal> refusals(String hosts, Map<String, Object> vars, List<EngineTask> tasks) {
		List<Refusal> refusals = new ArrayList<>();
		if (!Names.isLabel(hosts)) {
			refusals.add(new Refusal("hosts", "must be a Kubernetes namespace: an RFC 1123 label (lower-case letters, "
					+ "digits and '-', at most 63)"));
		}
		else if (!properties.namespaces().contains(hosts)) {
			refusals.add(new Refusal("hosts", "namespace '" + hosts + "' is not one this service may use"));
		}
		for (EngineTask task : tasks) {
			Task template = templates.find(task.name()).orElse(null);
			if (template == null) {
				continue;
			}
			for (Option option : template.options().values()) {
				if (option.format() == null) {
					continue;
				}
				boolean inTask = task.vars().containsKey(option.name());
				Object value = inTask ? task.vars().get(option.name()) : vars.get(option.name());
				String field = inTask ? "tasks[" + task.index() + "].vars." + option.name() : "vars." + option.name();
				String problem = formatProblem(option.format(), option.name(), value);
				if (problem != null && refusals.stream().noneMatch(r -> r.field().equals(field))) {
					refusals.add(new Refusal(field, problem));
				}
			}
		}
		return refusals;
	}

	private String formatProblem(String format, String name, Object value) {
		if (value instanceof List<?> list) {
			for (Object element : list) {
				String problem = formatProblem(format, name, element);
				if (problem != null) {
					return "every element " + problem;
				}
			}
			return null;
		}
		if (!(value instanceof String text)) {
			return null;
		}
		return switch (format) {
			case "rfc1123-label" -> Names.isLabel(text) && text.length() <= Names.MAX_ENVIRONMENT ? null
					: "must be an RFC 1123 label (lower-case letters, digits and '-', starting and ending with a letter or "
							+ "digit) of at most " + Names.MAX_ENVIRONMENT + " characters";
			case "host-name" -> Names.isHostName(text) ? null
					: "must be a DNS name (RFC 1123: lower-case letters, digits, '-' and '.')";
			case "machine-name" -> text.matches("[a-z][a-z0-9_]{0,63}") ? null
					: "must be a Drupal machine name (lower-case letters, digits and '_', starting with a letter)";
			case "db-name" -> Names.isDatabaseName(text) ? null
					: "must be a database name (letters, digits and '_', 1 to 64) other than MariaDB's own "
							+ Names.PROTECTED_DATABASES.stream().sorted().toList();
			case "db-user" -> Names.isDatabaseUser(text) ? null
					: "must be a database user name (letters, digits and '_', 1 to 32) other than MariaDB's own "
							+ Names.PROTECTED_USERS.stream().sorted().toList();
			case "db-password" -> Names.isDatabasePassword(text) ? null
					: "must be 1 to " + Names.MAX_DATABASE_PASSWORD + " characters, none a control character";
			case "image" -> Names.isAllowedImage(text, properties.imagePrefixes()) ? null
					: "must be an image reference under one of the allowed prefixes " + properties.imagePrefixes();
			default -> throw new IllegalStateException("unknown format '" + format + "' in the spec of " + name);
		};
	}

	KubernetesClient client() {
		return client;
	}

	KubernetesProperties properties() {
		return properties;
	}

	TaskTemplates templates() {
		return templates;
	}

	ClusterWatch watch() {
		return watch;
	}

	JobFactory jobs() {
		return jobs;
	}

	EnvironmentFactory environments() {
		return environments;
	}

	Applier applier() {
		return applier;
	}

	JsonMapper json() {
		return json;
	}

}
