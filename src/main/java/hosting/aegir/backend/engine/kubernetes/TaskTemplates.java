package hosting.aegir.backend.engine.kubernetes;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kubernetes tasks under {@code k8s/tasks/}: per task folder an
 * {@code argument_specs.yml} (the shape of an Ansible role's) and one template, parsed
 * into Fabric8's typed objects. Each use gets fresh copies, which the engine then fills
 * field by field.
 */
final class TaskTemplates {

	static final String SPEC = "argument_specs.yml";

	/** What a task does with its template. */
	enum Kind {

		/** {@code job.yaml}: one Job per run. */
		JOB,
		/** {@code objects.yaml}: objects applied and waited for. */
		APPLY,
		/** {@code deletes.yaml}: deletes what another task's objects made. */
		DELETE

	}

	/** One option of a task's argument spec, as far as the engine cares. */
	record Option(String name, String type, Object defaultValue, boolean noLog, String format) {
	}

	/** A task: its spec and its template's text. */
	record Task(String name, Kind kind, Map<String, Option> options, String template, String deletes) {
	}

	private final Map<String, Task> tasks;

	private final KubernetesSerialization serialization = new KubernetesSerialization();

	private TaskTemplates(Map<String, Task> tasks) {
		this.tasks = tasks;
	}

	/**
	 * Reads every task folder under the directory; a folder without a spec or template
	 * fails the start.
	 */
	static TaskTemplates read(Path directory) {
		if (!Files.isDirectory(directory)) {
			throw new IllegalStateException("no Kubernetes task templates at " + directory
					+ " (set aegir.kubernetes.tasks-directory, or aegir.kubernetes.enabled=false)");
		}
		Map<String, Task> tasks = new LinkedHashMap<>();
		try (Stream<Path> dirs = Files.list(directory)) {
			for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
				Task task = readTask(dir);
				tasks.put(task.name(), task);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read the Kubernetes tasks in " + directory + ": " + ex.getMessage(),
					ex);
		}
		TaskTemplates templates = new TaskTemplates(tasks);
		templates.checkParses();
		return templates;
	}

	@SuppressWarnings("unchecked")
	private static Task readTask(Path dir) throws IOException {
		String name = dir.getFileName().toString();
		Path spec = dir.resolve(SPEC);
		if (!Files.isRegularFile(spec)) {
			throw new IllegalStateException("Kubernetes task " + name + " has no " + SPEC);
		}
		Map<String, Object> document;
		try (Reader reader = Files.newBufferedReader(spec, StandardCharsets.UTF_8)) {
			document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
		}
		Map<String, Object> main = (Map<String, Object>) ((Map<String, Object>) document.get("argument_specs"))
			.get("main");
		Map<String, Option> options = new LinkedHashMap<>();
		((Map<String, Object>) main.getOrDefault("options", Map.of())).forEach((option, value) -> {
			Map<String, Object> o = (Map<String, Object>) value;
			options.put(option, new Option(option, (String) o.getOrDefault("type", "str"), o.get("default"),
					Boolean.TRUE.equals(o.get("no_log")), (String) o.get("format")));
		});
		for (Kind kind : Kind.values()) {
			Path template = dir.resolve(switch (kind) {
				case JOB -> "job.yaml";
				case APPLY -> "objects.yaml";
				case DELETE -> "deletes.yaml";
			});
			if (Files.isRegularFile(template)) {
				String text = Files.readString(template);
				String deletes = null;
				if (kind == Kind.DELETE) {
					Map<String, Object> d = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
					deletes = (String) d.get("task");
				}
				return new Task(name, kind, options, text, deletes);
			}
		}
		throw new IllegalStateException("Kubernetes task " + name + " has no job.yaml, objects.yaml or deletes.yaml");
	}

	private void checkParses() {
		for (Task task : tasks.values()) {
			switch (task.kind()) {
				case JOB -> {
					job(task.name());
					// A database URL is the engine's to build from its parts: a task
					// taking it whole would let a request choose the driver and server.
					if (task.options().containsKey(JobFactory.DATABASE_URL)) {
						throw new IllegalStateException(task.name() + " takes " + JobFactory.DATABASE_URL
								+ ": the engine builds it from " + JobFactory.DATABASE_OPTIONS);
					}
				}
				case APPLY -> objects(task.name());
				case DELETE -> {
					Task target = tasks.get(task.deletes());
					if (target == null || target.kind() != Kind.APPLY) {
						throw new IllegalStateException(task.name() + " deletes '" + task.deletes()
								+ "', which is not a task with objects.yaml");
					}
				}
			}
		}
	}

	List<String> names() {
		return List.copyOf(tasks.keySet());
	}

	Optional<Task> find(String name) {
		return Optional.ofNullable(tasks.get(name));
	}

	Task get(String name) {
		return find(name).orElseThrow(() -> new IllegalArgumentException("no Kubernetes task " + name));
	}

	/** A fresh Job from the task's template. */
	Job job(String name) {
		Task task = get(name);
		Object parsed = serialization.unmarshal(task.template());
		if (!(parsed instanceof Job job)) {
			throw new IllegalStateException(name + "/job.yaml is not one batch/v1 Job");
		}
		return job;
	}

	/** Fresh objects from the task's template, in the template's order. */
	List<HasMetadata> objects(String name) {
		Task task = get(name);
		return objectsOf(serialization.unmarshal(task.template()));
	}

	/**
	 * The objects of a parsed manifest: one object, a YAML stream of them, or a
	 * {@code List} kind.
	 */
	static List<HasMetadata> objectsOf(Object parsed) {
		List<HasMetadata> objects = new ArrayList<>();
		if (parsed instanceof List<?> list) {
			list.forEach(o -> objects.add((HasMetadata) o));
		}
		else if (parsed instanceof KubernetesList list) {
			objects.addAll(list.getItems());
		}
		else {
			objects.add((HasMetadata) parsed);
		}
		return objects;
	}

}
