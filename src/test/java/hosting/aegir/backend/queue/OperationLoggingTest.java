package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an operator's log pipeline receives: ECS JSON lines (the deployed default), in
 * which every line logged while an operation is handled names it (id, target, attempt),
 * and audit lines that name the token that submitted or cancelled it.
 */
@PostgresTest
@Import(ScriptedEngineConfig.class)
@ExtendWith(OutputCaptureExtension.class)
// A context of its own, started for it (ECS) and closed after it, so that its connections
// go back to PostgreSQL.
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "logging.structured.format.console=ecs")
@DirtiesContext
class OperationLoggingTest {

	private static final Pattern UUID_IN_TEXT = Pattern
		.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

	private final JsonMapper json = JsonMapper.builder().build();

	@LocalServerPort
	int port;

	// Spring Boot configures Logback once while any context that did so is still open,
	// and
	// the cached contexts of earlier test classes are: forget that configuration, so this
	// test's context applies its ECS format whatever ran before it in this JVM.
	@BeforeAll
	static void forgetEarlierLoggingConfiguration() {
		LoggingSystem.get(OperationLoggingTest.class.getClassLoader()).cleanUp();
	}

	@Test
	void linesOfARunCarryTheOperationAndAuditLinesTheToken(CapturedOutput output) {
		ApiClient api = new ApiClient(port);
		String target = "site-logs-" + UUID.randomUUID();
		String done = submit(api, target, Map.of("lines", 2));
		String cancelled = submit(api, target, Map.of("sleep_ms", 60_000));
		awaitStatus(api, done, "SUCCEEDED");
		awaitStatus(api, cancelled, "RUNNING");
		assertThat(api.post("/api/v1/operations/" + cancelled + "/cancel", SUBMITTER, null).statusCode())
			.isEqualTo(202);
		awaitStatus(api, cancelled, "CANCELLED");
		await("the cancelled run's last line is logged").atMost(Duration.ofSeconds(20))
			.until(() -> lines(output).stream()
				.anyMatch(l -> l.path("message").asString().contains(cancelled + " attempt 1 finished")));

		List<JsonNode> lines = lines(output);
		// Only this test's operations: cached contexts of other tests may still be
		// running theirs.
		List<String> ours = List.of(done, cancelled);
		List<JsonNode> runLines = lines.stream()
			.filter(l -> l.path("log").path("logger").asString().endsWith("OperationRunner"))
			.filter(l -> ours.stream().anyMatch(id -> l.path("message").asString().contains(id)))
			.toList();
		assertThat(runLines).extracting(l -> l.path("message").asString())
			.anyMatch(m -> m.startsWith("Operation " + done + " (site.backup) attempt 1 started"))
			.anyMatch(m -> m.startsWith("Operation " + done + " attempt 1 finished: SUCCEEDED"))
			.anyMatch(m -> m.startsWith("Operation " + cancelled + " attempt 1 finished: CANCELLED"));
		assertThat(runLines).allSatisfy(line -> {
			assertThat(line.path("operation").path("target").asString()).isEqualTo(target);
			assertThat(line.path("operation").path("attempt").asString()).isEqualTo("1");
			assertThat(line.path("process").path("thread").path("name").asString()).startsWith("aegir-run-");
		});
		// Contexts never leak from one operation to the next: a line naming an operation
		// carries that one.
		assertThat(lines).filteredOn(l -> l.path("operation").has("id")).isNotEmpty().allSatisfy(line -> {
			Matcher named = UUID_IN_TEXT.matcher(line.path("message").asString());
			if (named.find()) {
				assertThat(line.path("operation").path("id").asString()).as(line.toString()).isEqualTo(named.group());
			}
		});
		assertThat(lines).filteredOn(l -> l.path("message").asString().matches("Operation .* started on engine .*"))
			.allSatisfy(line -> assertThat(line.path("operation").has("id")).as(line.toString()).isTrue());

		List<JsonNode> audit = lines.stream()
			.filter(l -> l.path("log").path("logger").asString().equals("hosting.aegir.backend.audit"))
			.filter(l -> ours.contains(l.path("operation").path("id").asString()))
			.toList();
		assertThat(audit).hasSize(3);
		// The run may already have stopped when the cancel reads the operation back.
		assertThat(audit).filteredOn(l -> l.path("operation").path("id").asString().equals(cancelled))
			.extracting(l -> l.path("message").asString())
			.satisfiesExactly(
					submitted -> assertThat(submitted).isEqualTo("Operation " + cancelled + " (site.backup, target "
							+ target + ") submitted by test-frontend"),
					cancel -> assertThat(cancel).matches(Pattern.quote(
							"Operation " + cancelled + " (site.backup, target " + target + ") cancel requested, now ")
							+ "CANCELL(ING|ED) by test-frontend"));
		assertThat(audit)
			.allSatisfy(line -> assertThat(line.path("user").path("name").asString()).isEqualTo("test-frontend"));
		System.err.println("Sample ECS line of a run: " + runLines.get(0));
	}

	private String submit(ApiClient api, String target, Map<String, Object> vars) {
		Map<String, Object> body = new HashMap<>(ApiClient.submission(target));
		body.put("vars", vars);
		var response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).isEqualTo(202);
		return api.json(response).get("id").asString();
	}

	private static void awaitStatus(ApiClient api, String id, String status) {
		await(id + " is " + status).atMost(Duration.ofSeconds(30))
			.until(() -> status.equals(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
	}

	// Every JSON line written so far (other output, such as the JVM's warnings, is
	// skipped).
	private List<JsonNode> lines(CapturedOutput output) {
		return output.getOut().lines().filter(l -> l.startsWith("{")).map(json::readTree).toList();
	}

}
