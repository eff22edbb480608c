package hosting.aegir.backend.operation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.TestDatabase;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of generated submissions, valid in shape but hostile in content (strings with
 * NUL, unpaired surrogates, templates, traversal, control characters; wrong types; deep
 * nesting; huge values; absurd numbers; bytes that are not UTF-8), thrown at
 * {@code POST /api/v1/operations} of a whole service with the real Ansible catalog and an
 * operator inventory. The answer is always a 2xx or a 4xx, never a 5xx; a refusal stores
 * nothing, an acceptance stores a whole operation that reads back.
 */
class HostileSubmissionPropertyTest {

	static ConfigurableApplicationContext app;

	static HttpClient http;

	static String base;

	static JdbcClient jdbc;

	static final JsonMapper JSON = JsonMapper.builder().build();

	static final OperatorInventory OPERATOR = OperatorInventory.create();

	@BeforeContainer
	static void start() {
		TestDatabase db = TestDatabase.get();
		app = new SpringApplicationBuilder(AegirBackendApplication.class).profiles("test")
			.run("--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
					"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + db.newSchema(),
					"--server.port=0", "--spring.main.banner-mode=off", "--aegir.ansible.enabled=true",
					"--aegir.executor.enabled=false", "--aegir.ansible.inventory=" + OPERATOR.hostsFile());
		base = "http://127.0.0.1:" + ((WebServerApplicationContext) app).getWebServer().getPort();
		http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
		jdbc = app.getBean(JdbcClient.class);
	}

	@AfterContainer
	static void stop() {
		if (app != null) {
			app.close();
		}
	}

	@Property(tries = 2000)
	void aSubmissionIsAcceptedWholeOrRefusedWithAClientErrorAndNothingStored(@ForAll("submissions") byte[] body)
			throws Exception {
		long before = count();
		HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/operations"))
			.timeout(Duration.ofSeconds(60))
			.header("Authorization", "Bearer " + ApiClient.SUBMITTER)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build(), HttpResponse.BodyHandlers.ofString());
		int status = response.statusCode();
		String what = status + " " + abbreviate(response.body()) + " for "
				+ abbreviate(new String(body, StandardCharsets.UTF_8));
		assertThat(status).as(what)
			.satisfiesAnyOf(s -> assertThat(s).isBetween(200, 299), s -> assertThat(s).isBetween(400, 499));
		if (status >= 400) {
			assertThat(count()).as("nothing stored: " + what).isEqualTo(before);
			return;
		}
		JsonNode accepted = JSON.readTree(response.body());
		UUID id = UUID.fromString(accepted.get("id").asString());
		HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/operations/" + id))
			.header("Authorization", "Bearer " + ApiClient.VIEWER)
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(read.statusCode()).as(what).isEqualTo(200);
		JsonNode stored = JSON.readTree(read.body());
		assertThat(stored.get("status").asString()).isEqualTo("QUEUED");
		assertThat(stored.get("tasks").size()).isEqualTo(accepted.get("tasks").size()).isPositive();
		assertThat(jdbc
			.sql("SELECT count(*) FROM operation WHERE id = :id AND jsonb_typeof(vars) = 'object' "
					+ "AND jsonb_array_length(tasks) > 0")
			.param("id", id)
			.query(Long.class)
			.single()).isEqualTo(1);
	}

	@Provide
	Arbitrary<byte[]> submissions() {
		return Arbitraries.frequencyOf(
				net.jqwik.api.Tuple.of(4,
						Combinators.combine(path(), hostileStrings()).as((p, s) -> json(withValue(p, s)))),
				net.jqwik.api.Tuple.of(2,
						Combinators.combine(path(), wrongTypes()).as((p, v) -> json(withValue(p, v)))),
				net.jqwik.api.Tuple.of(2, hostileStrings().map(k -> json(withVarKey(k)))),
				net.jqwik.api.Tuple.of(1,
						Arbitraries.integers().between(1, 3000).map(HostileSubmissionPropertyTest::nested)),
				net.jqwik.api.Tuple.of(1,
						Arbitraries.integers()
							.between(1, 2_000_000)
							.map(n -> json(withValue("site_uri", "x".repeat(n))))),
				net.jqwik.api.Tuple.of(2, rawNumbers().map(n -> raw(n))),
				net.jqwik.api.Tuple.of(2,
						Combinators.combine(Arbitraries.integers().between(0, 400), escapes())
							.as(HostileSubmissionPropertyTest::escaped)),
				net.jqwik.api.Tuple.of(2,
						Combinators
							.combine(Arbitraries.integers().between(0, 400),
									Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4))
							.as(HostileSubmissionPropertyTest::corrupted)),
				net.jqwik.api.Tuple.of(1, Arbitraries.just(json(valid()))));
	}

	private static Arbitrary<String> hostileStrings() {
		return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(40),
				Arbitraries.of("\u0000", "a\u0000b", "\ud800", "x\udfff", "{{ lookup('pipe','id') }}",
						"../../etc/passwd", "/var/aegir/platforms/../../etc", "all", "*", "localhost:&all", "~.*",
						"'; DROP TABLE operation; --", "\n", "\r\n\t", "\u202e", "\uffff", "🙂", "", " ",
						"ansible_connection", "hostvars", "a".repeat(300)),
				Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMinLength(1).ofMaxLength(5));
	}

	private static Arbitrary<Object> wrongTypes() {
		return Arbitraries.oneOf(Arbitraries.integers().map(i -> (Object) i), Arbitraries.just((Object) null),
				Arbitraries.of(true, false).map(b -> (Object) b), Arbitraries.just((Object) List.of(1, "a", List.of())),
				Arbitraries.just((Object) Map.of("k", Map.of("k", "v"))), Arbitraries.doubles().map(d -> (Object) d),
				Arbitraries.just((Object) new java.math.BigInteger("9".repeat(400))));
	}

	private static Arbitrary<String> path() {
		return Arbitraries.of("type", "engine", "target", "hosts", "site_uri", "site_root", "task.name",
				"task.tasksFrom", "timeoutSeconds", "retry", "maxAttempts", "site_aliases", "db_url", "backup_path");
	}

	private static Arbitrary<String> rawNumbers() {
		return Arbitraries.of("1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0", "0.0000000000001",
				"1" + "0".repeat(2000), "NaN", "Infinity", "0x10", "01", "1.", ".5");
	}

	private static Arbitrary<String> escapes() {
		return Arbitraries.of("\\u0000", "\\ud800", "\\udfff", "\\ud800\\u0000", "\\u001f", "\\\\u0000",
				"\\uD83D\\uDE42");
	}

	private static Map<String, Object> valid() {
		Map<String, Object> vars = new LinkedHashMap<>();
		vars.put("site_uri", "example.org");
		vars.put("site_root", OPERATOR.platforms() + "/d10/web");
		Map<String, Object> task = new LinkedHashMap<>();
		task.put("name", "aegir.WriteNginxVhost");
		task.put("vars", new LinkedHashMap<>(Map.of("site_aliases", List.of("www.example.org"))));
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", "site.vhost");
		body.put("engine", "ansible");
		body.put("target", "site-" + UUID.randomUUID());
		body.put("hosts", "localhost");
		body.put("vars", vars);
		body.put("tasks", new ArrayList<>(List.of(task)));
		return body;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> withValue(String path, Object value) {
		Map<String, Object> body = valid();
		Map<String, Object> vars = (Map<String, Object>) body.get("vars");
		Map<String, Object> task = (Map<String, Object>) ((List<Object>) body.get("tasks")).get(0);
		switch (path) {
			case "site_uri", "site_root" -> vars.put(path, value);
			case "task.name" -> task.put("name", value);
			case "task.tasksFrom" -> task.put("tasksFrom", value);
			case "site_aliases", "db_url", "backup_path" -> ((Map<String, Object>) task.get("vars")).put(path, value);
			default -> body.put(path, value);
		}
		return body;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> withVarKey(String key) {
		Map<String, Object> body = valid();
		((Map<String, Object>) body.get("vars")).put(key, "value");
		return body;
	}

	// Written as text: deeper than any JSON writer would go, as deep as a client may
	// send.
	private static byte[] nested(int depth) {
		StringBuilder value = new StringBuilder();
		for (int i = 0; i < depth; i++) {
			value.append(i % 2 == 0 ? "[" : "{\"k\":");
		}
		value.append("\"deep\"");
		for (int i = depth - 1; i >= 0; i--) {
			value.append(i % 2 == 0 ? "]" : "}");
		}
		String text = new String(json(valid()), StandardCharsets.UTF_8);
		return text.replace("\"example.org\"", value.toString()).getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] json(Map<String, Object> body) {
		// Unpaired surrogates cannot be encoded as UTF-8: write them as JSON escapes, as
		// a client could.
		StringBuilder out = new StringBuilder();
		String text = JSON.writeValueAsString(body);
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
					&& Character.isLowSurrogate(text.charAt(i + 1))
					|| Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
			if (Character.isSurrogate(c) && !paired) {
				out.append(String.format("\\u%04x", (int) c));
			}
			else {
				out.append(c);
			}
		}
		return out.toString().getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] raw(String number) {
		return ("{\"type\":\"site.vhost\",\"engine\":\"ansible\",\"target\":\"site-" + UUID.randomUUID()
				+ "\",\"hosts\":\"localhost\",\"vars\":{\"site_uri\":\"example.org\",\"site_root\":\""
				+ OPERATOR.platforms() + "/d10\",\"n\":" + number
				+ "},\"tasks\":[{\"name\":\"aegir.RunDrupalCron\",\"vars\":{}}],\"timeoutSeconds\":" + number + "}")
			.getBytes(StandardCharsets.UTF_8);
	}

	// An escape sequence inserted into the JSON text, inside a string where the position
	// falls in one.
	private static byte[] escaped(int at, String escape) {
		String text = new String(json(valid()), StandardCharsets.UTF_8);
		int quote = text.indexOf('"', Math.min(at, text.length() - 1));
		int position = quote < 0 ? 1 : quote + 1;
		return (text.substring(0, position) + escape + text.substring(position)).getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] corrupted(int at, byte[] garbage) {
		byte[] text = json(valid());
		int position = Math.min(at, text.length);
		byte[] out = new byte[text.length + garbage.length];
		System.arraycopy(text, 0, out, 0, position);
		System.arraycopy(garbage, 0, out, position, garbage.length);
		System.arraycopy(text, position, out, position + garbage.length, text.length - position);
		return out;
	}

	private static long count() {
		return jdbc.sql("SELECT count(*) FROM operation").query(Long.class).single();
	}

	private static String abbreviate(String text) {
		return text.length() > 300 ? text.substring(0, 300) + "…" : text;
	}

}
