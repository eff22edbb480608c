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
import java.util.Set;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the files a task is declared in, whichever engine runs it: its variables in the
 * shape of an Ansible {@code argument_specs.yml}, its outputs in the shape of a role's
 * {@code meta/outputs.yml}.
 */
public final class ArgumentSpecs {

	private ArgumentSpecs() {
	}

	/**
	 * One catalog entry from a file in the shape of {@code argument_specs.yml}: an
	 * Ansible role's, or a Kubernetes task's beside its template; the {@code hidden}
	 * options (operator settings) are left out.
	 */
	@SuppressWarnings("unchecked")
	public static CatalogTask read(Path spec, String name, String engine, List<String> taskFiles, Set<String> hidden)
			throws IOException {
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

	/**
	 * The outputs a file in the shape of {@code meta/outputs.yml} declares; none when
	 * there is no such file.
	 */
	@SuppressWarnings("unchecked")
	public static List<CatalogOutput> outputs(Path file) throws IOException {
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
