package hosting.aegir.backend.operation;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.client.ApiClient;
import hosting.aegir.backend.client.ApiException;
import hosting.aegir.backend.client.ApiResponse;
import hosting.aegir.backend.client.JSON;
import hosting.aegir.backend.client.api.OperationsApi;
import hosting.aegir.backend.client.model.LogLine;
import hosting.aegir.backend.client.model.LogPage;
import hosting.aegir.backend.client.model.Problem;
import hosting.aegir.backend.client.model.SubmitOperation;
import hosting.aegir.backend.client.model.TaskRequest;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import hosting.aegir.backend.web.ProblemTypes;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

import static hosting.aegir.backend.client.model.Operation.StatusEnum.CANCELLED;
import static hosting.aegir.backend.client.model.Operation.StatusEnum.CANCELLING;
import static hosting.aegir.backend.client.model.Operation.StatusEnum.QUEUED;
import static hosting.aegir.backend.client.model.Operation.StatusEnum.RUNNING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * The contract proven with someone else's tool: a client that openapi-generator made from
 * the committed {@code openapi/aegir-backend.yaml} at build time (the JDK's HttpClient
 * underneath) drives the real service: submit, poll with the ETag, read the log, cancel,
 * and a problem.
 */
@PostgresTest
@Import(ScriptedEngineConfig.class)
// QueueIntegrationTest's configuration exactly, so that both share one cached context
// (and pool).
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.executor.concurrency=4", "aegir.executor.heartbeat-interval=300ms",
				"aegir.executor.stale-after=3s", "aegir.executor.poll-interval=5s", "aegir.log.max-bytes=4KB",
				"aegir.log.flush-interval=50ms" })
class ContractClientEndToEndTest {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@LocalServerPort
	int port;

	private OperationsApi operations(String token) {
		ApiClient client = new ApiClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)),
				new JSON().getMapper(), "http://127.0.0.1:" + port);
		client.setReadTimeout(Duration.ofSeconds(30));
		client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
		return new OperationsApi(client);
	}

	@Test
	void submitPollWithTheEtagReadTheLogAndCancel() throws Exception {
		OperationsApi frontEnd = operations(hosting.aegir.backend.support.ApiClient.SUBMITTER);
		OperationsApi operator = operations(hosting.aegir.backend.support.ApiClient.VIEWER);
		String target = "site-contract-" + UUID.randomUUID();
		SubmitOperation submission = new SubmitOperation().type("site.backup")
			.engine(SubmitOperation.EngineEnum.ANSIBLE)
			.target(target)
			.hosts("localhost")
			.vars(Map.of("site_uri", "example.org", "lines", 3, "sleep_ms", 120_000))
			.addTasksItem(new TaskRequest().name("aegir.GenerateDrupalSiteBackup").vars(Map.of("backup_dir", "/tmp")))
			.timeoutSeconds(600);
		String key = "contract-" + UUID.randomUUID();

		ApiResponse<hosting.aegir.backend.client.model.Operation> accepted = frontEnd
			.submitOperationWithHttpInfo(submission, key);
		assertThat(accepted.getStatusCode()).isEqualTo(202);
		UUID id = accepted.getData().getId();
		assertThat(accepted.getHeaders()).containsEntry("location", List.of("/api/v1/operations/" + id));
		assertThat(accepted.getData().getStatus()).isIn(QUEUED, RUNNING);
		assertThat(frontEnd.submitOperationWithHttpInfo(submission, key).getStatusCode()).as("an idempotent repeat")
			.isEqualTo(200);

		// Poll as the front-end does: If-None-Match with the last ETag; a 304 means
		// nothing changed.
		List<Integer> answers = new ArrayList<>();
		String[] etag = { null };
		hosting.aegir.backend.client.model.Operation[] seen = { null };
		await(id + " runs").atMost(WAIT).until(() -> {
			try {
				ApiResponse<hosting.aegir.backend.client.model.Operation> read = operator.getOperationWithHttpInfo(id,
						etag[0] == null ? Map.of() : Map.of("If-None-Match", etag[0]));
				answers.add(read.getStatusCode());
				etag[0] = read.getHeaders().get("etag").get(0);
				seen[0] = read.getData();
			}
			catch (ApiException ex) {
				assertThat(ex.getCode()).as("anything but 200 must be 304 Not Modified").isEqualTo(304);
				answers.add(ex.getCode());
			}
			return seen[0].getStatus() == RUNNING;
		});
		assertThat(etag[0]).as("a weak validator: it ignores the heartbeat").startsWith("W/\"");

		// The log, incrementally: ?after=next until the lines are there.
		List<LogLine> lines = new ArrayList<>();
		long[] next = { 0 };
		await("the run's log lines").atMost(WAIT).until(() -> {
			try {
				LogPage page = operator.readLog(id, next[0], 1000);
				lines.addAll(page.getLines());
				next[0] = page.getNext();
			}
			catch (ApiException ex) {
				throw new AssertionError(ex);
			}
			return lines.stream().anyMatch(l -> l.getText().equals("task 0 line 3"));
		});
		assertThat(lines).extracting(LogLine::getSeq).isSorted().doesNotHaveDuplicates();
		assertThat(lines).extracting(LogLine::getText).contains("task 0 line 1", "task 0 line 2", "task 0 line 3");

		// Cancel: CANCELLING at once, CANCELLED when the engine has stopped; the ETag
		// changes with it.
		ApiResponse<hosting.aegir.backend.client.model.Operation> cancel = frontEnd.cancelOperationWithHttpInfo(id);
		assertThat(cancel.getStatusCode()).isEqualTo(202);
		assertThat(cancel.getData().getStatus()).isEqualTo(CANCELLING);
		await(id + " is cancelled").atMost(WAIT).until(() -> {
			try {
				return operator.getOperation(id).getStatus() == CANCELLED;
			}
			catch (ApiException ex) {
				throw new AssertionError(ex);
			}
		});
		ApiResponse<hosting.aegir.backend.client.model.Operation> changed = operator.getOperationWithHttpInfo(id,
				Map.of("If-None-Match", etag[0]));
		assertThat(changed.getStatusCode()).isEqualTo(200);
		assertThat(changed.getData().getReason()).isEqualTo("cancelled by test-frontend");
		String finalEtag = changed.getHeaders().get("etag").get(0);
		assertThat(finalEtag).isNotEqualTo(etag[0]);
		// A finished operation no longer changes (no heartbeat either): polling it costs
		// a 304.
		ApiException notModified = catchThrowableOfType(ApiException.class,
				() -> operator.getOperationWithHttpInfo(id, Map.of("If-None-Match", finalEtag)));
		assertThat(notModified).as("304 Not Modified").isNotNull();
		assertThat(notModified.getCode()).isEqualTo(304);
		await("the log is complete").atMost(WAIT).until(() -> {
			try {
				return operator.readLog(id, next[0], 1000).getComplete();
			}
			catch (ApiException ex) {
				throw new AssertionError(ex);
			}
		});
		assertThat(frontEnd.cancelOperationWithHttpInfo(id).getStatusCode()).as("cancel is idempotent").isEqualTo(200);
		assertThat(frontEnd.listOperations(null, target, null, null, 20).getItems()).extracting(o -> o.getId())
			.containsExactly(id);
	}

	@Test
	void problemsReadAsTheDocumentedProblemSchema() {
		OperationsApi viewer = operations(hosting.aegir.backend.support.ApiClient.VIEWER);
		ApiException forbidden = catchThrowableOfType(ApiException.class,
				() -> viewer.cancelOperation(UUID.randomUUID()));
		assertThat(forbidden.getCode()).isEqualTo(403);
		assertThat(problem(forbidden).getType()).isEqualTo(ProblemTypes.FORBIDDEN);

		OperationsApi frontEnd = operations(hosting.aegir.backend.support.ApiClient.SUBMITTER);
		ApiException missing = catchThrowableOfType(ApiException.class, () -> frontEnd.getOperation(UUID.randomUUID()));
		assertThat(missing.getCode()).isEqualTo(404);
		assertThat(problem(missing).getType()).isEqualTo(ProblemTypes.NOT_FOUND);

		ApiException invalid = catchThrowableOfType(ApiException.class,
				() -> frontEnd.submitOperation(new SubmitOperation().type("site.backup")
					.engine(SubmitOperation.EngineEnum.ANSIBLE)
					.target("site-x")
					.hosts("localhost")
					.tasks(List.of()), null));
		assertThat(invalid.getCode()).isEqualTo(400);
		Problem problem = problem(invalid);
		assertThat(problem.getType()).isEqualTo(ProblemTypes.VALIDATION_FAILED);
		assertThat(problem.getErrors()).extracting(e -> e.getField()).contains("tasks");
	}

	private static Problem problem(ApiException ex) {
		try {
			return new JSON().getMapper().readValue(ex.getResponseBody(), Problem.class);
		}
		catch (Exception parse) {
			throw new AssertionError("not a problem document: " + ex.getResponseBody(), parse);
		}
	}

}
