package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * What each role declares, in {@code meta/operator_settings.yml} beside its argument
 * spec, about the line between the operator and the client: the options that are operator
 * settings (commands, executables, directories, roots: they come from the inventory or
 * the role's defaults, never from a request), and the request paths that must stay inside
 * an operator root (with the root's default).
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class OperatorSettings {

	/** One role's declaration. */
	public record RoleSettings(Set<String> settings, Map<String, String> requestPaths, Map<String, Object> defaults) {

		static final RoleSettings NONE = new RoleSettings(Set.of(), Map.of(), Map.of());

	}

	private final Map<String, RoleSettings> byTask;

	@Autowired
	OperatorSettings(AnsibleProperties ansible) {
		this(read(ansible.roles()));
	}

	/** Settings for the given task names, for tests. */
	OperatorSettings(Map<String, RoleSettings> byTask) {
		this.byTask = Map.copyOf(byTask);
	}

	public RoleSettings of(String task) {
		return byTask.getOrDefault(task, RoleSettings.NONE);
	}

	public boolean isSetting(String task, String variable) {
		return of(task).settings().contains(variable);
	}

	static Map<String, RoleSettings> read(Path rolesDirectory) {
		Map<String, RoleSettings> settings = new HashMap<>();
		if (!Files.isDirectory(rolesDirectory)) {
			return settings;
		}
		try (Stream<Path> roles = Files.list(rolesDirectory)) {
			for (Path role : roles.sorted().toList()) {
				if (Files.isRegularFile(role.resolve("meta/argument_specs.yml"))) {
					settings.put(role.getFileName().toString(), of(role));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(
					"cannot read the operator settings in " + rolesDirectory + ": " + ex.getMessage(), ex);
		}
		return settings;
	}

	/** One role's declaration (none if it has no {@code meta/operator_settings.yml}). */
	static RoleSettings of(Path role) throws IOException {
		Path file = role.resolve("meta/operator_settings.yml");
		return Files.isRegularFile(file) ? read(file, role.resolve("defaults/main.yml")) : RoleSettings.NONE;
	}

	@SuppressWarnings("unchecked")
	private static RoleSettings read(Path file, Path defaultsFile) throws IOException {
		Map<String, Object> document = load(file);
		List<String> names = (List<String>) document.getOrDefault("operator_settings", List.of());
		Map<String, String> paths = (Map<String, String>) document.getOrDefault("request_paths", Map.of());
		for (String root : paths.values()) {
			if (!names.contains(root)) {
				throw new IllegalStateException(
						file + ": the root " + root + " of a request path must be an operator setting");
			}
		}
		Map<String, Object> defaults = Files.isRegularFile(defaultsFile) ? load(defaultsFile) : Map.of();
		Map<String, Object> rootDefaults = new HashMap<>();
		paths.values()
			.stream()
			.filter(defaults::containsKey)
			.forEach(root -> rootDefaults.put(root, defaults.get(root)));
		return new RoleSettings(Set.copyOf(names), Map.copyOf(paths), Map.copyOf(rootDefaults));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> load(Path file) throws IOException {
		try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
			Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
			return loaded == null ? Map.of() : (Map<String, Object>) loaded;
		}
	}

}
