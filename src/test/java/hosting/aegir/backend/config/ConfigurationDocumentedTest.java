package hosting.aegir.backend.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration table of {@code docs/configuration.md} names every {@code aegir.*}
 * property the service binds (from the configuration metadata the build generates), and
 * names none that does not exist.
 */
class ConfigurationDocumentedTest {

	private static final Pattern ROW = Pattern.compile("^\\| `(aegir\\.[a-z0-9.\\-]+)(\\[i\\][a-z0-9.\\-]*)?`",
			Pattern.MULTILINE);

	@Test
	void everyAegirPropertyHasARowAndEveryRowAProperty() throws IOException {
		Map<String, JsonNode> properties = ContainerFilesTest.configurationProperties();
		List<String> aegir = properties.keySet().stream().filter(name -> name.startsWith("aegir.")).sorted().toList();
		assertThat(aegir).contains("aegir.executor.concurrency", "aegir.security.tokens", "aegir.database.schema");

		String page = Files.readString(Path.of("docs/configuration.md"), StandardCharsets.UTF_8);
		Matcher rows = ROW.matcher(page);
		java.util.Set<String> documented = new java.util.TreeSet<>();
		while (rows.find()) {
			documented.add(rows.group(1));
		}
		assertThat(documented).as("aegir.* properties without a row in docs/configuration.md").containsAll(aegir);
		assertThat(aegir).as("rows in docs/configuration.md for properties that do not exist").containsAll(documented);
	}

}
