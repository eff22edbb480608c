package hosting.aegir.backend.catalog;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The tasks that exist, read once at start-up from each enabled engine's
 * {@link TaskSource}: the Ansible roles, the Kubernetes task templates. Engines without a
 * catalog take any task name.
 */
@Component
public class TaskCatalog {

	private static final Logger log = LoggerFactory.getLogger(TaskCatalog.class);

	private final List<CatalogTask> tasks;

	// By engine, then by name: every submission looks its tasks up here, so a lookup is
	// one hash probe rather than a walk over the catalog.
	private final Map<String, Map<String, CatalogTask>> byEngine;

	@Autowired
	public TaskCatalog(ObjectProvider<TaskSource> sources) {
		this(sources.orderedStream().flatMap(source -> {
			List<CatalogTask> found = source.tasks();
			log.info("Task catalog: {} tasks from {}", found.size(), source);
			return found.stream();
		}).toList());
	}

	/** A catalog of the given tasks, for tests and for engines that bring their own. */
	public TaskCatalog(List<CatalogTask> tasks) {
		this.tasks = List.copyOf(tasks);
		Map<String, Map<String, CatalogTask>> index = new HashMap<>();
		// The first of two tasks with one engine and name wins, as a search in order
		// would find it.
		this.tasks.forEach(t -> index.computeIfAbsent(t.engine(), e -> new HashMap<>()).putIfAbsent(t.name(), t));
		this.byEngine = Map.copyOf(index);
	}

	public List<CatalogTask> all() {
		return tasks;
	}

	/** Whether submissions for this engine are checked against the catalog. */
	public boolean covers(String engine) {
		return engine != null && byEngine.containsKey(engine);
	}

	/** The outputs these tasks declare secret: shown to submitters only. */
	public java.util.Set<String> secretOutputs(String engine, java.util.Collection<String> taskNames) {
		java.util.Set<String> secrets = new java.util.LinkedHashSet<>();
		for (String name : taskNames) {
			find(engine, name).ifPresent(task -> task.outputs()
				.stream()
				.filter(CatalogOutput::secret)
				.map(CatalogOutput::name)
				.forEach(secrets::add));
		}
		return secrets;
	}

	public Optional<CatalogTask> find(String engine, String name) {
		if (engine == null || name == null) {
			return Optional.empty();
		}
		return Optional.ofNullable(byEngine.getOrDefault(engine, java.util.Map.of()).get(name));
	}

}
