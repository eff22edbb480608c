package hosting.aegir.backend.config;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import hosting.aegir.backend.web.ProblemTypes;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The problem types the committed OpenAPI document names are the ones the service sends
 * ({@link ProblemTypes}): all of them listed on the Problem schema, and no example naming
 * another.
 */
class ProblemTypesDocumentedTest {

	@Test
	void theProblemSchemaListsEveryTypeTheServiceSends() throws IOException {
		Map<String, Object> type = map(
				map(map(map(map(spec().get("components")).get("schemas")).get("Problem")).get("properties"))
					.get("type"));
		assertThat(new TreeSet<>(strings(type.get("examples")))).isEqualTo(sent());
		for (String uri : sent()) {
			assertThat(type.get("description").toString()).contains("`" + uri + "` (");
		}
	}

	@Test
	void everyProblemExampleHasATypeTheServiceSendsWithItsStatus() throws IOException {
		List<String> examples = new ArrayList<>();
		Map<String, Object> paths = map(spec().get("paths"));
		paths.forEach((path, item) -> map(item).forEach((method, operation) -> {
			map(map(operation).get("responses")).forEach((status, response) -> {
				Object content = map(response).get("content");
				if (content == null || !map(content).containsKey("application/problem+json")) {
					return;
				}
				Object named = map(map(content).get("application/problem+json")).get("examples");
				if (named == null) {
					return;
				}
				map(named).forEach((name, example) -> {
					Map<String, Object> value = map(map(example).get("value"));
					String where = method + " " + path + " " + status + " " + name;
					assertThat(sent()).as(where).contains(value.get("type").toString());
					assertThat(value.get("status").toString()).as(where).isEqualTo(status);
					assertThat(OpenApiConfig.PROBLEM_TYPES.get(URI.create(value.get("type").toString()))).as(where)
						.startsWith(status + ":");
					examples.add(where);
				});
			});
		}));
		assertThat(examples).hasSizeGreaterThan(10);
	}

	// The public URI constants of ProblemTypes: what the service's code can put into a
	// problem.
	private static Set<String> sent() {
		Set<String> types = new TreeSet<>();
		for (Field field : ProblemTypes.class.getFields()) {
			if (Modifier.isStatic(field.getModifiers()) && field.getType() == URI.class) {
				try {
					types.add(field.get(null).toString());
				}
				catch (IllegalAccessException ex) {
					throw new AssertionError(ex);
				}
			}
		}
		assertThat(types).hasSizeGreaterThan(10);
		return types;
	}

	private static Map<String, Object> spec() throws IOException {
		return new Yaml().load(Files.readString(Path.of("openapi/aegir-backend.yaml"), StandardCharsets.UTF_8));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		assertThat(value).isInstanceOf(Map.class);
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<String> strings(Object value) {
		assertThat(value).isInstanceOf(List.class);
		return (List<String>) value;
	}

}
