package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import hosting.aegir.backend.catalog.OutputReference;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import org.yaml.snakeyaml.nodes.Node;

import org.springframework.stereotype.Component;

/**
 * Writes a run's playbook and vars file: one play on the operation's hosts, one
 * {@code include_role} per task (with its {@code tasks_from} and its own vars), the
 * operation's vars in {@code vars.yml}, every client string tagged {@code !unsafe}.
 */
@Component
class AnsiblePlaybookWriter {

	static final String PLAYBOOK = "playbook.yml";

	static final String VARS = "vars.yml";

	// Names that reach the playbook untagged were validated by the API. They are
	// checked again: this class must not rely on its callers for what it writes.
	private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*");

	private static final Pattern TASK_FILE = Pattern.compile("[A-Za-z0-9_-]+");

	private static final Pattern HOSTS = Pattern.compile("[A-Za-z0-9_.:*!&,\\[\\]-]+");

	/** Writes the files into {@code dir}; returns the playbook's path. */
	public Path write(Path dir, EngineRequest request) throws IOException {
		Files.writeString(dir.resolve(VARS), AnsibleYaml.write(AnsibleYaml.unsafe(request.vars())),
				StandardCharsets.UTF_8);
		Path playbook = dir.resolve(PLAYBOOK);
		Files.writeString(playbook, AnsibleYaml.write(playbook(request)), StandardCharsets.UTF_8);
		return playbook;
	}

	private Node playbook(EngineRequest request) {
		require(HOSTS, request.hosts(), "hosts");
		List<Node> tasks = new ArrayList<>();
		for (EngineTask task : request.tasks()) {
			require(ROLE, task.name(), "task name");
			Map<String, Node> include = new LinkedHashMap<>();
			include.put("name", AnsibleYaml.plain(task.name()));
			if (task.tasksFrom() != null) {
				require(TASK_FILE, task.tasksFrom(), "tasksFrom");
				include.put("tasks_from", AnsibleYaml.plain(task.tasksFrom()));
			}
			Map<String, Node> vars = new LinkedHashMap<>();
			vars.put("aegir_task_index", AnsibleYaml.integer(task.index()));
			task.vars().forEach((name, value) -> vars.put(name, value(task, value)));
			Map<String, Node> entry = new LinkedHashMap<>();
			entry.put("name", AnsibleYaml.plain("aegir task " + task.index() + ": " + task.name()));
			entry.put("ansible.builtin.include_role", AnsibleYaml.map(include));
			entry.put("vars", AnsibleYaml.map(vars));
			tasks.add(AnsibleYaml.map(entry));
		}
		Map<String, Node> play = new LinkedHashMap<>();
		play.put("name", AnsibleYaml.plain("aegir operation " + request.operationId()));
		play.put("hosts", AnsibleYaml.plain(request.hosts()));
		play.put("gather_facts", AnsibleYaml.bool(false));
		play.put("vars_files", AnsibleYaml.list(List.of(AnsibleYaml.plain(VARS))));
		play.put("tasks", AnsibleYaml.list(tasks));
		return AnsibleYaml.list(List.of(AnsibleYaml.map(play)));
	}

	// An output reference becomes a lookup in aegir_task_outputs, which a role
	// fills (by task index) when it returns its outputs with set_stats. The
	// expression is built from a checked index and name only: no client text
	// reaches Jinja.
	private static Node value(EngineTask task, Object value) {
		if (!OutputReference.isReference(value)) {
			return AnsibleYaml.unsafe(value);
		}
		OutputReference reference = OutputReference.of(value)
			.filter(r -> r.task() < task.index())
			.orElseThrow(() -> new IllegalArgumentException(
					"refusing to write a playbook with an invalid output reference"));
		return AnsibleYaml.plain("{{ aegir_task_outputs['" + reference.task() + "']['" + reference.name() + "'] }}");
	}

	private static void require(Pattern pattern, String value, String what) {
		if (value == null || !pattern.matcher(value).matches()) {
			throw new IllegalArgumentException("refusing to write a playbook with an invalid " + what);
		}
	}

}
