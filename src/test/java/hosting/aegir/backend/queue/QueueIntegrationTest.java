package hosting.aegir.backend.queue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.ClaimedOperation;
import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The queue and executor of one replica, running operations on the scripted test engine.
 */
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.executor.concurrency=4", "aegir.executor.heartbeat-interval=300ms",
				"aegir.executor.stale-after=3s", "aegir.executor.poll-interval=5s", "aegir.log.max-bytes=4KB",
				"aegir.log.flush-interval=50ms" })
class QueueIntegrationTest {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@LocalServerPort
	int port;

	@Autowired
	OperationService operations;

	@Autowired
	EngineObservations engine;

	@Autowired
	OperationStore sql;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	QueueWorker worker;

	@Test
	void backupsAreIndexedWithChecksumAndDescriptionPagedShownOneByOneAndMarkedDeleted() {
		ApiClient api = new ApiClient(port);
		String target = "site-backups-" + UUID.randomUUID();
		String sha = "ab".repeat(32);
		for (int i = 0; i < 3; i++) {
			runWithOutputs(api, target, Map.of("backup_path", "/var/aegir/backups/b" + i + ".tar.gz", "backup_size",
					"12", "backup_sha256", sha, "backup_description", "Before update", "backup_task", "0"));
		}
		HttpResponse<String> first = api.get("/api/v1/backups?target=" + target + "&limit=2", VIEWER);
		JsonNode page = api.json(first);
		assertThat(page.valueStream().map(b -> b.get("path").asString()))
			.containsExactly("/var/aegir/backups/b2.tar.gz", "/var/aegir/backups/b1.tar.gz");
		assertThat(page.get(0).get("sha256").asString()).isEqualTo(sha);
		assertThat(page.get(0).get("description").asString()).isEqualTo("Before update");
		assertThat(page.get(0).get("taskIndex").asInt()).isZero();
		assertThat(page.get(0).get("sizeBytes").asLong()).isEqualTo(12);
		String next = first.headers().firstValue("Link").orElseThrow();
		assertThat(next).endsWith("; rel=\"next\"");
		JsonNode rest = api.json(api.get(next.substring(1, next.indexOf('>')), VIEWER));
		assertThat(rest.valueStream().map(b -> b.get("path").asString()))
			.containsExactly("/var/aegir/backups/b0.tar.gz");

		long id = page.get(1).get("id").asLong();
		JsonNode one = api.json(api.get("/api/v1/backups/" + id, VIEWER));
		assertThat(one.get("path").asString()).isEqualTo("/var/aegir/backups/b1.tar.gz");
		assertThat(one.has("deletedAt")).isFalse();
		assertThat(api.get("/api/v1/backups/999999999", VIEWER).statusCode()).isEqualTo(404);

		// Deletion is recorded for this target's backups only; a row of another target is
		// left alone.
		String other = "site-backups-" + UUID.randomUUID();
		runWithOutputs(api, other, Map.of("backup_path", "/var/aegir/backups/b1.tar.gz"));
		runWithOutputs(api, target, Map.of("deleted_backups", List.of("/var/aegir/backups/b1.tar.gz")));
		assertThat(api.json(api.get("/api/v1/backups/" + id, VIEWER)).get("deletedAt")).isNotNull();
		assertThat(api.json(api.get("/api/v1/backups?target=" + other, VIEWER)).get(0).has("deletedAt")).isFalse();
	}

	private void runWithOutputs(ApiClient api, String target, Map<String, Object> outputs) {
		Map<String, Object> body = new HashMap<>(ApiClient.submission(target));
		body.put("vars", Map.of("lines", 1, "outputs", outputs));
		body.put("tasks", List.of(Map.of("name", "aegir.First")));
		UUID id = UUID
			.fromString(api.json(api.post("/api/v1/operations", SUBMITTER, api.write(body))).get("id").asString());
		awaitStatus(id, "SUCCEEDED");
	}

	@Test
	void anOperationRunsToSuccessWithItsLogEventsAndOutputs() {
		ApiClient api = new ApiClient(port);
		Map<String, Object> body = new HashMap<>(ApiClient.submission("site-ok-" + UUID.randomUUID()));
		body.put("vars", Map.of("lines", 3, "outputs", Map.of("backup_path", "/var/aegir/backups/x.tar.gz")));
		body.put("tasks", List.of(Map.of("name", "aegir.First"), Map.of("name", "aegir.Second")));
		JsonNode accepted = api.json(api.post("/api/v1/operations", SUBMITTER, api.write(body)));
		UUID id = UUID.fromString(accepted.get("id").asString());

		awaitStatus(id, "SUCCEEDED");
		JsonNode op = api.json(api.get("/api/v1/operations/" + id, VIEWER));
		assertThat(op.get("exitCode").asInt()).isZero();
		assertThat(op.get("attempt").asInt()).isEqualTo(1);
		assertThat(op.get("claimedBy").asString()).isNotBlank();
		assertThat(op.get("outputs").get("backup_path").asString()).isEqualTo("/var/aegir/backups/x.tar.gz");
		assertThat(op.get("tasks").valueStream().map(t -> t.get("status").asString())).containsExactly("SUCCEEDED",
				"SUCCEEDED");
		assertThat(op.get("startedAt")).isNotNull();
		assertThat(op.get("finishedAt")).isNotNull();

		JsonNode log = api.json(api.get("/api/v1/operations/" + id + "/log", VIEWER));
		assertThat(log.get("lines").valueStream().map(l -> l.get("text").asString()))
			.contains("task 0 line 1", "task 1 line 3")
			.anySatisfy(text -> assertThat(text).startsWith("attempt 1 started on replica"))
			.last()
			.isEqualTo("finished: SUCCEEDED");
		assertThat(log.get("complete").asBoolean()).isTrue();
		assertThat(api.json(api.get("/api/v1/operations/" + id + "/events", VIEWER)).get("events")).hasSize(2);
		assertThat(engine.runs(id)).isEqualTo(1);
	}

	@Test
	void aFailingTaskFailsTheOperationWithItsReason() {
		UUID id = submit(Map.of("fail", true), "site-fail-" + UUID.randomUUID(), null);
		awaitStatus(id, "FAILED");
		Map<String, Object> row = row(id);
		assertThat(row.get("exit_code")).isEqualTo(2);
		assertThat((String) row.get("reason")).contains("aegir.Scripted").contains("scripted failure");
	}

	@Test
	void cancellingARunningOperationStopsTheEngine() {
		UUID id = submit(Map.of("sleep_ms", 60_000), "site-cancel-" + UUID.randomUUID(), null);
		awaitStatus(id, "RUNNING");
		await("the engine started").atMost(WAIT).until(() -> engine.runs(id) == 1);

		assertThat(operations.cancel(id, "test").changed()).isTrue();

		awaitStatus(id, "CANCELLED");
		assertThat(engine.cancelledAndStopped(id)).isTrue();
		assertThat(row(id).get("reason")).isEqualTo("cancelled by test");
	}

	@Test
	void aCancelWhoseNotificationIsLostIsDeliveredByTheHeartbeat() {
		UUID id = submit(Map.of("sleep_ms", 60_000), "site-lost-notify-" + UUID.randomUUID(), null);
		await("the engine started").atMost(WAIT).until(() -> engine.runs(id) == 1);
		// The same transition as the API's, without its NOTIFY.
		jdbc.sql(
				"UPDATE operation SET status = 'CANCELLING', reason = 'quiet cancel' WHERE id = ? AND status = 'RUNNING'")
			.param(id)
			.update();

		awaitStatus(id, "CANCELLED");
		assertThat(engine.cancelledAndStopped(id)).isTrue();
		assertThat(row(id).get("reason")).isEqualTo("quiet cancel");
	}

	@Test
	void aTimeoutStopsTheEngineAndEndsTimedOut() {
		UUID id = submit(Map.of("sleep_ms", 60_000), "site-timeout-" + UUID.randomUUID(), 1);
		awaitStatus(id, "TIMED_OUT");
		assertThat(engine.cancelledAndStopped(id)).isTrue();
		assertThat((String) row(id).get("reason")).startsWith("timed out after 1 s");
	}

	@Test
	void operationsOfOneTargetRunOneAtATimeWithoutBlockingOtherTargets() {
		String target = "site-serial-" + UUID.randomUUID();
		// The first runs until the test ends it, so no timing decides what is running
		// when.
		UUID first = submit(Map.of("sleep_ms", 600_000), target, null);
		UUID second = submit(Map.of("sleep_ms", 10), target, null);
		UUID other = submit(Map.of("sleep_ms", 10), "site-other-" + UUID.randomUUID(), null);

		awaitStatus(other, "SUCCEEDED");
		assertThat(status(first)).isEqualTo("RUNNING");
		assertThat(status(second)).isEqualTo("QUEUED");

		operations.cancel(first, "test");
		awaitStatus(second, "SUCCEEDED");
		assertThat(status(first)).isEqualTo("CANCELLED");
		assertThat(((java.sql.Timestamp) row(second).get("started_at")).toInstant())
			.isAfterOrEqualTo(((java.sql.Timestamp) row(first).get("finished_at")).toInstant());
	}

	@Test
	void staleOperationsAreFailedOrRequeuedByTheReaper() {
		UUID lost = insertOrphan("site-orphan-" + UUID.randomUUID(), false);
		UUID retried = insertOrphan("site-orphan-retry-" + UUID.randomUUID(), true);

		awaitStatus(lost, "FAILED");
		assertThat((String) row(lost).get("reason"))
			.startsWith("executor lost: replica ghost-replica stopped heartbeating");

		awaitStatus(retried, "SUCCEEDED");
		assertThat(row(retried).get("attempt")).isEqualTo(2);
		assertThat(engine.runs(retried)).isEqualTo(1);
	}

	@Test
	void aLaterAttemptContinuesTheStoredLogItsEventsAndItsByteBudget() {
		UUID id = insertOrphan("site-continue-" + UUID.randomUUID(), true);
		// What attempt 1 stored before its replica was lost: three lines leaving 16 bytes
		// of the 4 KB budget, and two task events.
		for (int seq = 1; seq <= 3; seq++) {
			jdbc.sql(
					"INSERT INTO operation_log (operation_id, seq, at, stream, text) VALUES (?, ?, now(), 'stdout', ?)")
				.params(id, seq, String.valueOf((char) ('a' + seq)).repeat(1360))
				.update();
		}
		for (int seq = 1; seq <= 2; seq++) {
			jdbc.sql("INSERT INTO operation_event (operation_id, seq, at, task_index, task, host, status, changed)"
					+ " VALUES (?, ?, now(), 0, 'aegir.Scripted', 'localhost', 'ok', false)")
				.params(id, seq)
				.update();
		}

		awaitStatus(id, "SUCCEEDED");
		assertThat(row(id).get("attempt")).isEqualTo(2);
		// Attempt 2 numbers on, overwrites nothing, and its first line finds the budget
		// spent.
		assertThat(
				jdbc.sql("SELECT seq || ':' || left(text, 17) FROM operation_log WHERE operation_id = ? ORDER BY seq")
					.param(id)
					.query(String.class)
					.list())
			.containsExactly("1:" + "b".repeat(17), "2:" + "c".repeat(17), "3:" + "d".repeat(17),
					"4:[log truncated: t");
		assertThat(jdbc.sql("SELECT seq FROM operation_event WHERE operation_id = ? ORDER BY seq")
			.param(id)
			.query(Long.class)
			.list()).containsExactly(1L, 2L, 3L);
	}

	@Test
	void aResultIsOnlyWrittenUnderTheLeaseThatProducedIt() {
		UUID id = insertOrphan("site-fence-" + UUID.randomUUID(), false);
		jdbc.sql("UPDATE operation SET heartbeat_at = now() + interval '1 hour' WHERE id = ?").param(id).update();
		assertThat(sql.complete(id, "ghost-replica", 7, OperationStatus.SUCCEEDED, 0, null, "{}")).isFalse();
		assertThat(sql.complete(id, "someone-else", 1, OperationStatus.SUCCEEDED, 0, null, "{}")).isFalse();
		assertThat(sql.complete(id, "ghost-replica", 1, OperationStatus.SUCCEEDED, 0, null, "{}")).isTrue();
		assertThat(sql.complete(id, "ghost-replica", 1, OperationStatus.FAILED, 1, "late", "{}")).isFalse();
		assertThat(status(id)).isEqualTo("SUCCEEDED");
	}

	@Test
	void theStoredLogIsCappedWithAMarker() {
		UUID id = submit(Map.of("lines", 2_000), "site-biglog-" + UUID.randomUUID(), null);
		awaitStatus(id, "SUCCEEDED");
		List<String> lines = jdbc.sql("SELECT text FROM operation_log WHERE operation_id = ? ORDER BY seq")
			.param(id)
			.query(String.class)
			.list();
		assertThat(lines).hasSizeLessThan(400);
		assertThat(lines.get(lines.size() - 1)).startsWith("[log truncated:");
		long bytes = jdbc
			.sql("SELECT sum(octet_length(text)) FROM operation_log WHERE operation_id = ? AND stream <> 'system'")
			.param(id)
			.query(Long.class)
			.single();
		assertThat(bytes).isLessThanOrEqualTo(4096);
	}

	@Test
	void anEngineNotEnabledHereIsRefusedWith422() {
		ApiClient api = new ApiClient(port);
		Map<String, Object> body = new HashMap<>(ApiClient.submission("site-k8s"));
		body.put("engine", "kubernetes");
		var response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
		assertThat(response.statusCode()).isEqualTo(422);
		assertThat(api.json(response).get("type").asString()).endsWith("/engine-unavailable");
		assertThat(api.json(response).get("errors").get(0).get("field").asString()).isEqualTo("engine");
	}

	@Test
	void theListenConnectionComesBackAfterTheDatabaseDropsIt() {
		String listeners = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = '"
				+ QueueNotifications.APPLICATION_NAME + "'";
		await("a LISTEN connection exists").atMost(WAIT)
			.until(() -> !jdbc.sql(listeners).query(Integer.class).list().isEmpty());
		List<Integer> before = jdbc.sql(listeners).query(Integer.class).list();
		before.forEach(pid -> jdbc.sql("SELECT pg_terminate_backend(?)").param(pid).query().listOfRows());

		await("a new LISTEN connection replaces the dropped one").atMost(WAIT).until(() -> {
			List<Integer> now = jdbc.sql(listeners).query(Integer.class).list();
			return !now.isEmpty() && now.stream().noneMatch(before::contains);
		});
		UUID id = submit(Map.of(), "site-after-reconnect-" + UUID.randomUUID(), null);
		awaitStatus(id, "SUCCEEDED");
	}

	@Test
	void aRunningOperationPolledWithItsETagGets304AcrossHeartbeats() {
		ApiClient api = new ApiClient(port);
		UUID id = submit(Map.of("sleep_ms", 60_000), "site-etag-running-" + UUID.randomUUID(), null);
		await("the engine started").atMost(WAIT).until(() -> engine.runs(id) == 1);
		var first = api.get("/api/v1/operations/" + id, VIEWER);
		String etag = first.headers().firstValue("ETag").orElseThrow();
		Object beat = row(id).get("heartbeat_at");

		worker.heartbeatNow();

		assertThat(row(id).get("heartbeat_at")).isNotEqualTo(beat);
		assertThat(api.get("/api/v1/operations/" + id, VIEWER, "If-None-Match", etag).statusCode()).isEqualTo(304);
		operations.cancel(id, "test");
		awaitStatus(id, "CANCELLED");
		var after = api.get("/api/v1/operations/" + id, VIEWER, "If-None-Match", etag);
		assertThat(after.statusCode()).isEqualTo(200);
		assertThat(after.headers().firstValue("ETag")).hasValueSatisfying(e -> assertThat(e).isNotEqualTo(etag));
	}

	@Test
	void aRunPastItsDatabaseDeadlineEndsTimedOutAndItsReplicaStopsIt() {
		UUID id = submit(Map.of("sleep_ms", 60_000), "site-deadline-" + UUID.randomUUID(), null);
		await("the engine started").atMost(WAIT).until(() -> engine.runs(id) == 1);
		// As if it had started long ago and its replica had kept heartbeating without
		// ever finishing.
		jdbc.sql("UPDATE operation SET started_at = now() - interval '1 day' WHERE id = ?").param(id).update();

		// Stepped here; the timer's round may come first, and then this one finds nothing
		// left to do.
		await("a reaper round ended it").atMost(WAIT).until(() -> {
			worker.reapNow();
			return status(id);
		}, "TIMED_OUT"::equals);

		assertThat((String) row(id).get("reason")).startsWith("deadline passed: replica ");
		worker.heartbeatNow();
		await("the local run is stopped").atMost(WAIT).until(() -> engine.cancelledAndStopped(id));
		assertThat(status(id)).isEqualTo("TIMED_OUT");
	}

	@Test
	void logLinesOfAStaleAttemptAreRefusedAndTheCurrentAttemptsKept() {
		UUID id = insertOrphan("site-fenced-log-" + UUID.randomUUID(), false);
		jdbc.sql("UPDATE operation SET heartbeat_at = now() + interval '1 hour' WHERE id = ?").param(id).update();
		var at = java.time.Instant.now();

		assertThat(sql.appendOutput(id, "ghost-replica", 1,
				List.of(new OperationStore.BufferedLine(1, at, "stdout", "current")), List.of()))
			.isTrue();
		assertThat(sql.appendOutput(id, "ghost-replica", 0,
				List.of(new OperationStore.BufferedLine(1, at, "stdout", "stale")), List.of()))
			.isFalse();
		assertThat(sql.appendOutput(id, "other-replica", 1,
				List.of(new OperationStore.BufferedLine(2, at, "stdout", "stale")), List.of()))
			.isFalse();

		assertThat(jdbc.sql("SELECT text FROM operation_log WHERE operation_id = ? ORDER BY seq")
			.param(id)
			.query(String.class)
			.list()).containsExactly("current");
	}

	@Test
	void midRunLogBatchesKeepEveryCharacterAndTimeAndALineStoredAgainReplacesTheEarlierOne() {
		UUID id = insertOrphan("site-copied-log-" + UUID.randomUUID(), false);
		jdbc.sql("UPDATE operation SET heartbeat_at = now() + interval '1 hour' WHERE id = ?").param(id).update();
		// Microseconds, as PostgreSQL keeps them; a time before 2000 too (its own epoch).
		var at = java.time.Instant.parse("2026-11-26T04:05:06.123456Z");
		var early = java.time.Instant.parse("1999-12-31T23:59:59.999999Z");
		String awkward = "tab\there, back\\slash, \u00e9t\u00e9 \u65e5\u672c \ud83d\ude00, \r carriage, \\N";

		assertThat(sql.appendOutput(id, "ghost-replica", 1,
				List.of(new OperationStore.BufferedLine(1, at, "stdout", awkward),
						new OperationStore.BufferedLine(2, early, "stderr", ""),
						new OperationStore.BufferedLine(3, at, "system", "first")),
				List.of()))
			.isTrue();
		// Line 3 again (as a re-run of the same attempt could send it), with a new one:
		// the batch is still written whole, the later text replacing the earlier.
		assertThat(sql.appendOutput(id, "ghost-replica", 1,
				List.of(new OperationStore.BufferedLine(3, at, "stdout", "again"),
						new OperationStore.BufferedLine(4, at, "stdout", "next")),
				List.of()))
			.isTrue();

		assertThat(jdbc
			.sql("SELECT seq, stream, text, extract(epoch FROM at)::numeric(20,6)::text AS at FROM operation_log"
					+ " WHERE operation_id = ? ORDER BY seq")
			.param(id)
			.query((rs, n) -> rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4))
			.list()).containsExactly("1|stdout|" + awkward + "|1795665906.123456", "2|stderr||946684799.999999",
					"3|stdout|again|1795665906.123456", "4|stdout|next|1795665906.123456");
	}

	@Test
	void deletingAnOperationDeletesItsLogLinesWithIt() {
		UUID id = insertOrphan("site-deleted-log-" + UUID.randomUUID(), false);
		UUID kept = insertOrphan("site-kept-log-" + UUID.randomUUID(), false);
		jdbc.sql("UPDATE operation SET heartbeat_at = now() + interval '1 hour' WHERE id IN (?, ?)")
			.params(id, kept)
			.update();
		var at = java.time.Instant.now();
		for (UUID op : List.of(id, kept)) {
			assertThat(sql.appendOutput(op, "ghost-replica", 1,
					List.of(new OperationStore.BufferedLine(1, at, "stdout", "a"),
							new OperationStore.BufferedLine(2, at, "stdout", "b")),
					List.of()))
				.isTrue();
		}

		jdbc.sql("DELETE FROM operation WHERE id = ?").param(id).update();

		assertThat(jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = ?")
			.param(id)
			.query(Long.class)
			.single()).isZero();
		assertThat(jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = ?")
			.param(kept)
			.query(Long.class)
			.single()).isEqualTo(2);
	}

	@Test
	void aReaderFasterThanTheWriterWaitsForRoomAndEveryLineIsStoredInOrder() throws Exception {
		UUID id = insertOrphan("site-backpressure-" + UUID.randomUUID(), false);
		jdbc.sql("UPDATE operation SET heartbeat_at = now() + interval '1 hour' WHERE id = ?").param(id).update();
		// Batches of two lines, so the reading thread finds the buffer full (16 lines)
		// over
		// and over while the writer's thread commits.
		var writer = java.util.concurrent.Executors.newSingleThreadExecutor();
		RunRecorder recorder = new RunRecorder(id, "ghost-replica", 1, ClaimedOperation.StoredOutput.NONE,
				SecretMask.of(List.of(), null), sql,
				new LogProperties(org.springframework.util.unit.DataSize.ofMegabytes(16), Duration.ofMillis(200), 2),
				writer);
		int count = 2_000;
		for (int i = 1; i <= count; i++) {
			recorder.log(hosting.aegir.backend.engine.ExecutionListener.LogStream.STDOUT, "line " + i);
		}
		recorder.flush();
		writer.shutdown();
		assertThat(writer.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();

		List<String> stored = jdbc
			.sql("SELECT seq || ' ' || text FROM operation_log WHERE operation_id = ? ORDER BY seq")
			.param(id)
			.query(String.class)
			.list();
		assertThat(stored).hasSize(count);
		for (int i = 1; i <= count; i++) {
			assertThat(stored.get(i - 1)).isEqualTo(i + " line " + i);
		}
	}

	@Test
	void theClaimLooksUpASitesQueueWithoutWalkingItsHistory() {
		String target = "site-history-" + UUID.randomUUID();
		jdbc.sql(
				"""
						INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
						                       attempt, created_at, finished_at)
						SELECT gen_random_uuid(), 'site.backup', 'ansible', ?, 'localhost', '{}', '[]', 'SUCCEEDED', repeat('0', 64), 60,
						       1, now() - g * interval '1 second', now() - g * interval '1 second'
						  FROM generate_series(1, 5000) g
						""")
			.param(target)
			.update();
		jdbc.sql("ANALYZE operation").update();

		String plan = String.join("\n", jdbc.sql("""
				EXPLAIN SELECT 1 FROM operation b
				 WHERE b.target = ? AND b.status = 'QUEUED' AND (b.created_at, b.id) < (now(), gen_random_uuid())
				""").param(target).query(String.class).list());

		assertThat(plan).contains("operation_queued_target_idx").doesNotContain("operation_target_created_idx");
	}

	@Test
	void metricsCountWhatRan() {
		UUID id = submit(Map.of(), "site-metrics-" + UUID.randomUUID(), null);
		awaitStatus(id, "SUCCEEDED");
		String metrics = new ApiClient(port).get("/actuator/prometheus", VIEWER).body();
		assertThat(metrics).contains("aegir_operations_started_total", "aegir_operations_finished_total",
				"aegir_operations_duration_seconds_bucket", "aegir_queue_depth", "aegir_executor_slots_busy",
				"aegir_executor_dispatcher_alive 1.0");
	}

	private UUID insertOrphan(String target, boolean retry) {
		UUID id = UUID.randomUUID();
		jdbc.sql(
				"""
						INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds,
						                       retry, max_attempts, attempt, claimed_by, heartbeat_at, started_at)
						VALUES (?, 'site.backup', 'ansible', ?, 'localhost', '{}', '[{"name": "aegir.Scripted", "vars": {}}]',
						        'RUNNING', repeat('0', 64), 60, ?, ?, 1, 'ghost-replica', now() - interval '1 minute', now())
						""")
			.params(id, target, retry, retry ? 3 : 1)
			.update();
		return id;
	}

	private UUID submit(Map<String, Object> vars, String target, Integer timeoutSeconds) {
		var request = new SubmitOperationRequest("test.op", "ansible", target, "localhost", vars,
				List.of(new TaskRequest("aegir.Scripted", Map.of(), null)), timeoutSeconds, null, null);
		return operations.submit(request, null).operation().id();
	}

	private void awaitStatus(UUID id, String expected) {
		await(id + " is " + expected).atMost(WAIT).until(() -> status(id), expected::equals);
	}

	private String status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

	private Map<String, Object> row(UUID id) {
		return jdbc.sql("SELECT * FROM operation WHERE id = ?").param(id).query().singleRow();
	}

}
