package hosting.aegir.backend.catalog;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the catalog entries of Ansible roles from their {@code meta/argument_specs.yml}.
 */
final class RoleArgumentSpecReader {

	private RoleArgumentSpecReader() {
	}

	static List<CatalogTask> read(Path rolesDirectory) {
		if (!Files.isDirectory(rolesDirectory)) {
			throw new IllegalStateException("no Ansible roles directory at " + rolesDirectory
					+ " (set aegir.ansible.directory, or aegir.ansible.enabled=false)");
		}
		List<CatalogTask> tasks = new ArrayList<>();
		try (Stream<Path> roles = Files.list(rolesDirectory)) {
			for (Path role : roles.sorted().toList()) {
				Path spec = role.resolve("meta/argument_specs.yml");
				if (Files.isRegularFile(spec)) {
					tasks.add(read(role, spec));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read the roles in " + rolesDirectory + ": " + ex.getMessage(), ex);
		}
		return tasks;
	}

	private static CatalogTask read(Path role, Path spec) throws IOException {
		List<String> taskFiles = new ArrayList<>();
		Path tasksDir = role.resolve("tasks");
		if (Files.isDirectory(tasksDir)) {
			try (Stream<Path> files = Files.list(tasksDir)) {
				files.map(f -> f.getFileName().toString())
					.filter(f -> f.endsWith(".yml") && !f.equals("main.yml"))
					.map(f -> f.substring(0, f.length() - 4))
					.sorted()
					.forEach(taskFiles::add);
			}
		}
		// Operator settings stay in the argument spec (Ansible checks their types) but
		// are not the client's to send.
		CatalogTask task = readSpec(spec, role.getFileName().toString(), "ansible", taskFiles,
				OperatorSettings.of(role).settings());
		return new CatalogTask(task.name(), task.engine(), task.summary(), task.description(), task.variables(),
				task.taskFiles(), outputs(role));
	}

	/**
	 * One catalog entry from a file in the shape of {@code argument_specs.yml}: an
	 * Ansible role's, or a Kubernetes task's beside its template; the {@code hidden}
	 * options (operator settings) are left out.
	 */
	@SuppressWarnings("unchecked")
	static CatalogTask readSpec(Path spec, String name, String engine, List<String> taskFiles,
			java.util.Set<String> hidden) throws IOException {
		Map<String, Object> document;
		try (Reader reader = Files.newBufferedReader(spec, StandardCharsets.UTF_8)) {
			document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
		}
		Map<String, Object> main = (Map<String, Object>) ((Map<String, Object>) document.get("argument_specs"))
			.get("main");
		if (main == null) {
			throw new IllegalStateException(spec + " has no 'main' entry point");
		}
		List<CatalogVariable> variables = new ArrayList<>();
		Map<String, Object> options = (Map<String, Object>) main.getOrDefault("options", Map.of());
		options.forEach((option, value) -> {
			if (hidden.contains(option)) {
				return;
			}
			Map<String, Object> o = (Map<String, Object>) value;
			variables.add(new CatalogVariable(option, (String) o.getOrDefault("type", "str"),
					Boolean.TRUE.equals(o.get("required")), o.get("default"), text(o.get("description")),
					(List<Object>) o.get("choices"), (String) o.get("elements"), Boolean.TRUE.equals(o.get("no_log"))));
		});
		return new CatalogTask(name, engine, (String) main.get("short_description"), text(main.get("description")),
				variables, taskFiles);
	}

	// Declared next to the argument spec, in meta/outputs.yml: what the role returns with
	// set_stats.
	@SuppressWarnings("unchecked")
	private static List<CatalogOutput> outputs(Path role) throws IOException {
		Path file = role.resolve("meta/outputs.yml");
		if (!Files.isRegularFile(file)) {
			return List.of();
		}
		Map<String, Object> document;
		try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
			document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
		}
		List<CatalogOutput> outputs = new ArrayList<>();
		Map<String, Object> declared = document == null ? Map.of()
				: (Map<String, Object>) document.getOrDefault("outputs", Map.of());
		declared.forEach((name, value) -> {
			Map<String, Object> output = (Map<String, Object>) value;
			outputs.add(new CatalogOutput(name, (String) output.getOrDefault("type", "str"),
					text(output.get("description")), Boolean.TRUE.equals(output.get("secret"))));
		});
		return outputs;
	}

	private static String text(Object value) {
		if (value instanceof Collection<?> lines) {
			return String.join(" ", lines.stream().map(String::valueOf).toList());
		}
		return value == null ? null : value.toString();
	}

}
