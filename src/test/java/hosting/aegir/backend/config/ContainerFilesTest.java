package hosting.aegir.backend.config;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dockerfile and docker-compose.yml, checked without a Docker engine: the compose
 * file is valid YAML with the services, health checks, ports and volume it promises, its
 * environment names are real configuration properties in environment-variable form, and
 * the Dockerfile's stages and COPY sources exist.
 */
class ContainerFilesTest {

	private static final Path COMPOSE = Path.of("docker-compose.yml");

	private static final Path DOCKERFILE = Path.of("Dockerfile");

	@Test
	void composeRunsTheImageBesidePostgresWithItsHealthCheckAndVolume() throws IOException {
		Map<String, Object> compose = yaml(COMPOSE);
		Map<String, Object> services = map(compose.get("services"));
		assertThat(services).containsOnlyKeys("db", "app");

		Map<String, Object> db = map(services.get("db"));
		assertThat((String) db.get("image")).startsWith("postgres:");
		assertThat(map(db.get("healthcheck")).get("test").toString()).contains("pg_isready");
		String volume = ((List<?>) db.get("volumes")).get(0).toString();
		assertThat(volume).endsWith(":/var/lib/postgresql/data");
		assertThat(map(compose.get("volumes"))).containsKey(volume.substring(0, volume.indexOf(':')));
		// Spring Boot's docker-compose support (spring-boot:run) starts services without
		// a profile:
		// only the database, never a second copy of the service itself.
		assertThat(db).doesNotContainKey("profiles");

		Map<String, Object> app = map(services.get("app"));
		assertThat(app.get("profiles")).isEqualTo(List.of("app"));
		Map<String, Object> build = map(app.get("build"));
		assertThat(Path.of(build.get("context").toString()).resolve(build.get("dockerfile").toString()))
			.isRegularFile();
		assertThat(app).as("the image has all it needs: nothing is installed at start")
			.doesNotContainKeys("command", "entrypoint");
		assertThat(map(map(app.get("depends_on")).get("db"))).containsEntry("condition", "service_healthy");
		assertThat(app.get("ports")).isEqualTo(List.of("8080:8080"));
		assertThat(Files.readString(DOCKERFILE)).contains("EXPOSE 8080");

		Map<String, Object> dbEnv = map(db.get("environment"));
		Map<String, Object> env = map(app.get("environment"));
		assertThat(env).containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://db:5432/" + dbEnv.get("POSTGRES_DB"))
			.containsEntry("SPRING_DATASOURCE_USERNAME", dbEnv.get("POSTGRES_USER"))
			.containsEntry("SPRING_DATASOURCE_PASSWORD", dbEnv.get("POSTGRES_PASSWORD"));
	}

	@Test
	void everyEnvironmentNameOfTheAppIsAConfigurationProperty() throws IOException {
		Map<String, JsonNode> properties = configurationProperties();
		assertThat(properties).containsKeys("aegir.security.tokens", "aegir.executor.concurrency",
				"spring.datasource.url", "logging.structured.format.console");
		Map<String, Object> env = map(map(map(yaml(COMPOSE).get("services")).get("app")).get("environment"));
		assertThat(env).isNotEmpty();
		List<String> unknown = new ArrayList<>();
		for (String name : env.keySet()) {
			if (properties.entrySet()
				.stream()
				.noneMatch(p -> bindsTo(name, p.getKey(), p.getValue().path("type").asString()))) {
				unknown.add(name);
			}
		}
		assertThat(unknown).as("environment names in docker-compose.yml that bind to no configuration property")
			.isEmpty();
		// The check itself tells names apart.
		assertThat(bindsTo("AEGIR_EXECUTOR_CONCURENCY", "aegir.executor.concurrency", "java.lang.Integer")).isFalse();
		assertThat(bindsTo("AEGIR_SECURITY_TOKENS_0_SECRET", "aegir.security.tokens",
				properties.get("aegir.security.tokens").path("type").asString()))
			.isFalse();
	}

	@Test
	void dockerfileStagesAndCopySourcesExist() throws IOException {
		List<String> instructions = instructions(Files.readString(DOCKERFILE, StandardCharsets.UTF_8));
		Map<String, List<String>> stages = new LinkedHashMap<>();
		List<String> current = null;
		Pattern from = Pattern.compile("FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?", Pattern.CASE_INSENSITIVE);
		for (String instruction : instructions) {
			Matcher m = from.matcher(instruction);
			if (m.matches()) {
				current = new ArrayList<>();
				stages.put(m.group(2) == null ? m.group(1) : m.group(2), current);
			}
			else {
				assertThat(current).as("an instruction before the first FROM: " + instruction).isNotNull();
				current.add(instruction);
			}
		}
		assertThat(stages).containsOnlyKeys("build", "runtime");
		List<String> dockerignore = Files.readAllLines(Path.of(".dockerignore"));
		for (List<String> stage : stages.values()) {
			for (String instruction : stage) {
				if (!instruction.startsWith("COPY ")) {
					continue;
				}
				List<String> words = new ArrayList<>(List.of(instruction.split("\\s+")));
				words.remove(0);
				String fromStage = words.stream().filter(w -> w.startsWith("--from=")).findFirst().orElse(null);
				words.removeIf(w -> w.startsWith("--"));
				List<String> sources = words.subList(0, words.size() - 1);
				if (fromStage != null) {
					assertThat(stages).containsKey(fromStage.substring("--from=".length()));
					continue;
				}
				for (String source : sources) {
					assertThat(Path.of(source)).as(instruction).exists();
					assertThat(dockerignore).as(source + " is in the build context")
						.doesNotContain(source, source + "/");
				}
			}
		}
		List<String> build = stages.get("build");
		assertThat(build).anyMatch(i -> i.startsWith("RUN ./mvnw ") && i.contains(" package "));
		List<String> runtime = stages.get("runtime");
		assertThat(runtime)
			.anyMatch(i -> i.startsWith("RUN apt-get update") && i.contains(" ansible-core ") && i.contains(" tini "));
		assertThat(runtime).contains("COPY --chown=root:root ansible ansible");
		assertThat(runtime).anyMatch(i -> i.matches("USER (?!root)\\w+(:\\w+)?"));
		assertThat(runtime).anyMatch(i -> i.startsWith("HEALTHCHECK ") && i.contains("/actuator/health/readiness"));
		assertThat(runtime).anyMatch(i -> i.startsWith("ENTRYPOINT [\"/usr/bin/tini\", \"--\", \"java\""));
		assertThat(stages.keySet()).last().isEqualTo("runtime");
	}

	/**
	 * Whether an environment variable binds to a property, by Spring Boot's rules for
	 * environment names.
	 */
	static boolean bindsTo(String env, String property, String type) {
		String canonical = property.toUpperCase().replace("-", "").replace('.', '_');
		if (env.equals(canonical)) {
			return true;
		}
		if (!env.startsWith(canonical + "_") || type == null) {
			return false;
		}
		String rest = env.substring(canonical.length() + 1);
		if (type.startsWith("java.util.Map<")) {
			return !rest.isEmpty();
		}
		Matcher element = Pattern.compile("java\\.util\\.(?:List|Set|Collection)<(.+)>").matcher(type);
		if (!element.matches()) {
			return false;
		}
		Matcher indexed = Pattern.compile("(\\d+)(?:_(.+))?").matcher(rest);
		if (!indexed.matches()) {
			return false;
		}
		if (indexed.group(2) == null) {
			return true;
		}
		try {
			Class<?> elementType = Class.forName(element.group(1));
			return elementType.isRecord() && List.of(elementType.getRecordComponents())
				.stream()
				.map(RecordComponent::getName)
				.map(n -> n.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase().replace("_", ""))
				.anyMatch(n -> n.equals(indexed.group(2).replace("_", "")));
		}
		catch (ClassNotFoundException ex) {
			return false;
		}
	}

	/**
	 * Every documented property on the classpath (Spring Boot's and this service's
	 * metadata), by name.
	 */
	static Map<String, JsonNode> configurationProperties() throws IOException {
		JsonMapper json = JsonMapper.builder().build();
		Map<String, JsonNode> properties = new LinkedHashMap<>();
		for (URL url : Collections.list(ContainerFilesTest.class.getClassLoader()
			.getResources("META-INF/spring-configuration-metadata.json"))) {
			try (InputStream in = url.openStream()) {
				json.readTree(in).path("properties").forEach(p -> properties.putIfAbsent(p.get("name").asString(), p));
			}
		}
		return properties;
	}

	// Dockerfile instructions, continuation lines joined, comments dropped.
	private static List<String> instructions(String dockerfile) {
		List<String> instructions = new ArrayList<>();
		StringBuilder current = new StringBuilder();
		for (String line : dockerfile.split("\n")) {
			String trimmed = line.strip();
			if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
				continue;
			}
			boolean continued = trimmed.endsWith("\\");
			current.append(continued ? trimmed.substring(0, trimmed.length() - 1).strip() : trimmed).append(' ');
			if (!continued) {
				instructions.add(current.toString().strip().replaceAll("\\s+", " "));
				current.setLength(0);
			}
		}
		return instructions;
	}

	private static Map<String, Object> yaml(Path file) throws IOException {
		return new Yaml().load(Files.readString(file, StandardCharsets.UTF_8));
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		assertThat(value).isInstanceOf(Map.class);
		return (Map<String, Object>) value;
	}

}
