package hosting.aegir.backend.engine.ansible;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.Scripts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import hosting.aegir.backend.support.OperatorInventory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static hosting.aegir.backend.support.OperationAssert.assertThatOperation;
import static hosting.aegir.backend.support.Submission.aSubmission;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Ansible engine through the HTTP API, with the real ansible-playbook against
 * localhost and the real aegir.* roles and an operator inventory whose group_vars set the
 * roots and drush; drush is a script the test writes, since Drupal cannot run here.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = { "aegir.ansible.enabled=true",
		"aegir.executor.concurrency=2", "aegir.executor.heartbeat-interval=500ms", "aegir.log.flush-interval=100ms" })
class AnsibleEngineEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(90);

	static final OperatorInventory OPERATOR = OperatorInventory.create();

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@Autowired
	JdbcClient jdbc;

	final String siteRoot = OPERATOR.platforms() + "/d10/web";

	@LocalServerPort
	int port;

	@TempDir
	Path dir;

	ApiClient api;

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
		// drush runs as the operator's drush user: it writes its records here.
		OPERATOR.giveToDrushUser(dir);
	}

	@Test
	void aBackupSucceedsReturnsItsPathAndIsListed() {
		OPERATOR
			.drush("""
					for a in "$@"; do case "$a" in --destination=*) echo "archive of $*" > "${a#--destination=}";; esac; done
					echo "drush $1 done"
					""");
		String target = "site-" + UUID.randomUUID();
		JsonNode op = finished(submit(target, Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()))));

		assertThatOperation(op).isSucceeded();
		String path = op.get("outputs").get("backup_path").asString();
		assertThat(path).startsWith(OPERATOR.backups() + "/example.org-").endsWith(".tar.gz");
		assertThat(Path.of(path)).exists();
		assertThat(op.get("tasks").get(0).get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(op.get("tasks").get(0).get("changed").asInt()).isPositive();

		JsonNode backups = api.json(api.get("/api/v1/backups?target=" + target, VIEWER));
		assertThat(backups).hasSize(1);
		assertThat(backups.get(0).get("path").asString()).isEqualTo(path);
		assertThat(backups.get(0).get("sizeBytes").asLong()).isEqualTo(size(path));
		assertThat(backups.get(0).get("operationId").asString()).isEqualTo(op.get("id").asString());
		assertThat(backups.get(0).get("sha256").asString()).isEqualTo(sha256(path));
		assertThat(backups.get(0).get("description").asString()).isEqualTo("Generated on request");
		assertThat(backups.get(0).get("taskIndex").asInt()).isZero();
		assertThat(api.json(api.get("/api/v1/backups/" + backups.get(0).get("id").asLong(), VIEWER))
			.get("path")
			.asString()).isEqualTo(path);

		JsonNode events = api.json(api.get("/api/v1/operations/" + op.get("id").asString() + "/events", VIEWER))
			.get("events");
		assertThat(events.valueStream().map(e -> e.get("task").asString())).contains("Run drush archive:dump",
				"Return the backup's path and size");
		assertThat(events.valueStream().filter(e -> "Run drush archive:dump".equals(e.get("task").asString())))
			.singleElement()
			.satisfies(e -> {
				assertThat(e.get("status").asString()).isEqualTo("changed");
				assertThat(e.get("role").asString()).isEqualTo("aegir.GenerateDrupalSiteBackup");
				assertThat(e.get("host").asString()).isEqualTo("localhost");
				assertThat(e.get("taskIndex").asInt()).isZero();
			});
	}

	@Test
	void aRestoreTakesOnlyArchivesInsideTheBackupRootOnTheHost() throws Exception {
		Path record = dir.resolve("restored");
		OPERATOR.drush("printf '%s\\n' \"$@\" > " + record + "\n");
		Path archive = emptyArchive(OPERATOR.backups().resolve("example.org-1.tar.gz"));
		Map<String, Object> site = Map.of("site_uri", "example.org", "site_root", siteRoot);

		JsonNode restored = finished(submit("site-" + UUID.randomUUID(), site,
				List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", archive.toString())))));
		assertThatOperation(restored).isSucceeded();
		// drush gets a copy of the archive in its own working directory, and only the
		// site's
		// files and database.
		assertThat(read(record)).contains("archive:restore\n").contains("/site.tar.gz\n--files\n--db\n");

		// Paths the submit-time check can judge are refused before anything is stored.
		Path outside = Files.writeString(dir.resolve("outside.tar.gz"), "not a backup");
		for (String path : List.of(OPERATOR.backups() + "/../" + dir.relativize(outside), outside.toString(),
				"/etc/passwd", OPERATOR.backups() + "/./x.tar.gz")) {
			HttpResponse<String> refused = api.post("/api/v1/operations", SUBMITTER, body("site-" + UUID.randomUUID(),
					site, List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", path)))));
			assertThat(refused.statusCode()).as(path + ": " + refused.body()).isEqualTo(422);
			assertThat(field(refused)).isEqualTo("tasks[0].vars.backup_path");
		}

		// A link inside the root that leads out of it looks fine at submit; the host
		// resolves it and refuses.
		Files.deleteIfExists(record);
		Path link = Files.createSymbolicLink(OPERATOR.backups().resolve("linked.tar.gz"), outside);
		JsonNode refused = finished(submit("site-" + UUID.randomUUID(), site,
				List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", link.toString())))));
		assertThatOperation(refused).isFailed();
		assertThat(refused.get("reason").asString()).contains("backup_path does not exist or is not inside");
		assertThat(record).doesNotExist();
	}

	@Test
	void aRestoreTakesTheBackupPathFromTheEarlierTaskOfTheSameOperation() throws Exception {
		Path record = dir.resolve("restored-from-output");
		OPERATOR.drush("""
				for a in "$@"; do case "$a" in --destination=*) tar -czf "${a#--destination=}" -T /dev/null;; esac; done
				if [ "$1" = archive:restore ]; then sha256sum < "$2" > RECORD; fi
				""".replace("RECORD", record.toString()));
		JsonNode op = finished(submit("site-" + UUID.randomUUID(),
				Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()), task("aegir.RestoreDrupalSiteBackup",
						Map.of("backup_path", Map.of("fromOutput", Map.of("task", 0, "name", "backup_path")))))));

		assertThatOperation(op).isSucceeded();
		String path = op.get("outputs").get("backup_path").asString();
		// drush restored the very archive the backup task wrote (its copy, by content).
		assertThat(read(record)).startsWith(sha256(path));
	}

	@Test
	void aReferenceToAMissingLaterOrMistypedOutputIsRefusedAtSubmit() {
		Map<String, Object> site = Map.of("site_uri", "example.org", "site_root", siteRoot);
		Map<String, Object> missing = Map.of("backup_path",
				Map.of("fromOutput", Map.of("task", 0, "name", "no_such_output")));
		Map<String, Object> later = Map.of("backup_path",
				Map.of("fromOutput", Map.of("task", 1, "name", "backup_path")));
		for (var tasks : List.of(
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()),
						task("aegir.RestoreDrupalSiteBackup", missing)),
				List.of(task("aegir.RunDrupalCron", Map.of()), task("aegir.RestoreDrupalSiteBackup", later)))) {
			HttpResponse<String> refused = api.post("/api/v1/operations", SUBMITTER,
					body("site-" + UUID.randomUUID(), site, tasks));
			assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
			assertThat(field(refused)).isEqualTo("tasks[1].vars.backup_path");
		}
	}

	@Test
	void aPlatformIsDeployedFromGit() throws Exception {
		Path repo = Files.createDirectories(dir.resolve("repo"));
		for (List<String> command : List.of(List.of("git", "init", "-q", "-b", "main"),
				List.of("git", "config", "user.email", "t@example.org"), List.of("git", "config", "user.name", "t"))) {
			assertThat(new ProcessBuilder(command).directory(repo.toFile()).start().waitFor()).isZero();
		}
		Files.writeString(repo.resolve("index.php"), "<?php // platform\n");
		assertThat(new ProcessBuilder("git", "add", ".").directory(repo.toFile()).start().waitFor()).isZero();
		assertThat(
				new ProcessBuilder("git", "commit", "-q", "-m", "platform").directory(repo.toFile()).start().waitFor())
			.isZero();
		Path platform = OPERATOR.platforms().resolve("d10-" + UUID.randomUUID());
		// Which repositories may reach the fleet is the operator's: only this one is
		// allowed.
		OPERATOR.set("git_repo_prefixes", List.of("file://" + repo + "/"));

		JsonNode refused = finished(
				submit("platform-" + UUID.randomUUID(), Map.of(), List.of(task("aegir.DeployDrupalGitPlatform",
						Map.of("git_repo", "file:///etc/", "git_ref", "main", "platform_root", platform.toString())))));
		assertThatOperation(refused).isFailed();
		assertThat(refused.get("reason").asString()).contains("git_repo_prefixes");
		assertThat(platform).doesNotExist();

		JsonNode op = finished(submit("platform-" + UUID.randomUUID(), Map.of(), List.of(task(
				"aegir.DeployDrupalGitPlatform",
				Map.of("git_repo", "file://" + repo + "/", "git_ref", "main", "platform_root", platform.toString())))));
		assertThatOperation(op).isSucceeded();
		assertThat(platform.resolve("index.php")).hasContent("<?php // platform");
	}

	@Test
	void theLogCanBeReadIncrementallyWhileItRuns() {
		OPERATOR.drush("echo working; sleep 4; echo done\n");
		String id = submit("site-" + UUID.randomUUID(), Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.RunDrupalCron", Map.of()), task("aegir.RunDrupalCron", Map.of())));
		List<String> seenWhileRunning = new ArrayList<>();
		long[] cursor = { 0 };
		await("log lines appear while the operation runs").atMost(RUN).until(() -> {
			JsonNode page = api.json(api.get("/api/v1/operations/" + id + "/log?after=" + cursor[0], VIEWER));
			boolean running = "RUNNING".equals(status(id));
			page.get("lines").forEach(l -> {
				assertThat(l.get("seq").asLong()).isGreaterThan(cursor[0]);
				if (running) {
					seenWhileRunning.add(l.get("text").asString());
				}
			});
			cursor[0] = page.get("next").asLong();
			return seenWhileRunning.stream().anyMatch(t -> t.startsWith("TASK [aegir.RunDrupalCron : Run drush cron]"));
		});
		JsonNode op = finished(id);
		assertThatOperation(op).isSucceeded();
		JsonNode rest = api.json(api.get("/api/v1/operations/" + id + "/log?after=" + cursor[0], VIEWER));
		assertThat(rest.get("lines").valueStream().map(l -> l.get("text").asString()))
			.anyMatch(t -> t.startsWith("PLAY RECAP"));
		assertThat(rest.get("complete").asBoolean()).isTrue();
		assertThat(op.get("tasks").valueStream().map(t -> t.get("status").asString())).containsExactly("SUCCEEDED",
				"SUCCEEDED");
	}

	@Test
	void aFailingTaskFailsTheOperationNamingTheTask() {
		OPERATOR.drush("echo 'site not found' >&2; exit 1\n");
		JsonNode op = finished(
				submit("site-" + UUID.randomUUID(), Map.of("site_uri", "example.org", "site_root", siteRoot),
						List.of(task("aegir.RunDrupalCron", Map.of()), task("aegir.RunDrupalCron", Map.of()))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("exitCode").asInt()).isEqualTo(2);
		assertThat(op.get("reason").asString())
			.startsWith("task 'Run drush cron' of aegir.RunDrupalCron failed on localhost")
			.contains("site not found");
		assertThat(op.get("tasks").valueStream().map(t -> t.get("status").asString())).containsExactly("FAILED",
				"NOT_RUN");
	}

	@Test
	void templatesAndShellMetacharactersInVarsArePassedAsData() {
		Path record = dir.resolve("args");
		OPERATOR.drush("printf '%s\\n' \"$@\" > " + record + "\n");
		String hostile = "{{ lookup('pipe','touch " + dir + "/pwned1') }}; touch " + dir + "/pwned2 $(touch " + dir
				+ "/pwned3) `touch " + dir + "/pwned4` {% raw %}";
		// Free text (a site's name) reaches drush as one argument, as it is.
		JsonNode op = finished(submit("site-" + UUID.randomUUID(),
				Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.InstallDrupalSite", Map.of("site_name", hostile, "db_name", "hostile", "db_user",
						"hostile", "db_password", "pw-" + UUID.randomUUID(), "account_pass", "pw")))));
		assertThatOperation(op).isSucceeded();
		assertThat(read(record)).contains("--site-name=" + hostile + "\n");
		// A site name that is not a host name never reaches drush.
		JsonNode refused = finished(submit("site-" + UUID.randomUUID(),
				Map.of("site_uri", hostile, "site_root", siteRoot), List.of(task("aegir.RunDrupalCron", Map.of()))));
		assertThatOperation(refused).isFailed();
		assertThat(refused.get("reason").asString()).contains("site_uri must be a host name");
		for (int i = 1; i <= 4; i++) {
			assertThat(dir.resolve("pwned" + i)).doesNotExist();
		}
	}

	@Test
	void invalidTasksAndVariablesAreRefusedBeforeAnythingRuns() {
		int before = count();
		HttpResponse<String> unknown = api.post("/api/v1/operations", SUBMITTER,
				body("site-x", Map.of(), List.of(task("aegir.DoesNotExist", Map.of()))));
		HttpResponse<String> missing = api.post("/api/v1/operations", SUBMITTER,
				body("site-x", Map.of("site_uri", "example.org"), List.of(task("aegir.RunDrupalCron", Map.of()))));
		HttpResponse<String> mistyped = api.post("/api/v1/operations", SUBMITTER,
				body("site-x", Map.of("site_uri", "example.org", "site_root", siteRoot),
						List.of(task("aegir.WriteNginxVhost", Map.of("site_aliases", "www")))));
		HttpResponse<String> unknownVar = api.post("/api/v1/operations", SUBMITTER,
				body("site-x", Map.of("site_uri", "example.org", "site_root", siteRoot, "colour", "blue"),
						List.of(task("aegir.RunDrupalCron", Map.of()))));
		for (var response : List.of(unknown, missing, mistyped, unknownVar)) {
			assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
			assertThat(api.json(response).get("type").asString()).endsWith("/task-invalid");
		}
		assertThat(field(unknown)).isEqualTo("tasks[0].name");
		assertThat(field(missing)).isEqualTo("tasks[0].vars.site_root");
		assertThat(field(mistyped)).isEqualTo("tasks[0].vars.site_aliases");
		assertThat(api.json(mistyped).get("detail").asString()).contains("must be a list")
			.contains("aegir.WriteNginxVhost");
		assertThat(field(unknownVar)).isEqualTo("vars.colour");
		assertThat(count()).isEqualTo(before);
	}

	@Test
	void secretVariablesNeverAppearInTheLogEventsOrApi() {
		String password = "S3cret-" + UUID.randomUUID();
		// drush gets the secrets in its --config file; this one prints them back,
		// everywhere it can, and fails.
		OPERATOR.drush("""
				for a in "$@"; do case "$a" in --config=*) cat "${a#--config=}"; cat "${a#--config=}" >&2;; esac; done
				echo "installing with $*"; exit 1
				""");
		String id = submit("site-" + UUID.randomUUID(), Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.InstallDrupalSite", Map.of("db_name", "drupal", "db_user", "drupal", "db_password",
						password, "account_pass", password))));
		JsonNode op = finished(id);
		assertThatOperation(op).isFailed();
		String everything = op + api.get("/api/v1/operations/" + id + "/log?limit=10000", VIEWER).body()
				+ api.get("/api/v1/operations/" + id + "/events", VIEWER).body()
				+ api.get("/api/v1/operations?target=" + op.get("target").asString(), VIEWER).body();
		assertThat(everything).doesNotContain(password);
		assertThat(op.get("tasks").get(0).get("vars").get("account_pass").asString()).isEqualTo("********");
		assertThat(op.get("tasks").get(0).get("vars").get("db_password").asString()).isEqualTo("********");
		assertThat(jdbc.sql("SELECT vars::text || tasks::text || coalesce(reason, '') FROM operation WHERE id = :id")
			.param("id", UUID.fromString(id))
			.query(String.class)
			.single()).doesNotContain(password);
	}

	@Test
	void cancellingKillsEveryProcessTheRunStarted() {
		String marker = "aegir-cancel-marker-" + UUID.randomUUID();
		OPERATOR.drush("sleep 300 & wait\n");
		String id = submit("site-" + UUID.randomUUID(), Map.of("site_uri", marker, "site_root", siteRoot),
				List.of(task("aegir.RunDrupalCron", Map.of())));
		await("drush runs").atMost(RUN).until(() -> Scripts.processRunningWith(marker));

		assertThat(api.post("/api/v1/operations/" + id + "/cancel", SUBMITTER, null).statusCode()).isEqualTo(202);

		JsonNode op = finished(id);
		assertThatOperation(op).isCancelled();
		assertThat(op.get("reason").asString()).isEqualTo("cancelled by test-frontend");
		await("no process of the run is left").atMost(Duration.ofSeconds(15))
			.until(() -> !Scripts.processRunningWith(marker) && !Scripts.processRunningWith("aegir-" + id));
	}

	@Test
	void aTimeoutKillsTheRunAndEndsTimedOut() {
		String marker = "aegir-timeout-marker-" + UUID.randomUUID();
		OPERATOR.drush("sleep 300\n");
		Map<String, Object> body = new HashMap<>(request("site-" + UUID.randomUUID(),
				Map.of("site_uri", marker, "site_root", siteRoot), List.of(task("aegir.RunDrupalCron", Map.of()))));
		body.put("timeoutSeconds", 5);
		String id = api.json(api.post("/api/v1/operations", SUBMITTER, api.write(body))).get("id").asString();
		JsonNode op = finished(id);
		assertThatOperation(op).isTimedOut();
		await("no process of the run is left").atMost(Duration.ofSeconds(15))
			.until(() -> !Scripts.processRunningWith(marker));
	}

	@Test
	void readinessIncludesTheAnsibleEngineAndTheCatalogIsListed() {
		JsonNode health = api.json(api.get("/actuator/health/readiness", VIEWER));
		assertThat(health.get("status").asString()).isEqualTo("UP");
		assertThat(health.get("components").get("ansible").get("status").asString()).isEqualTo("UP");
		JsonNode tasks = api.json(api.get("/api/v1/tasks", VIEWER));
		assertThat(tasks.valueStream().map(t -> t.get("name").asString())).contains("aegir.GenerateDrupalSiteBackup",
				"aegir.RestoreDrupalSiteBackup", "aegir.WriteNginxVhost", "aegir.DeleteNginxVhost",
				"aegir.DeployDrupalGitPlatform", "aegir.InstallDrupalSite", "aegir.RunDrupalCron");
		JsonNode install = tasks.valueStream()
			.filter(t -> t.get("name").asString().equals("aegir.InstallDrupalSite"))
			.findFirst()
			.orElseThrow();
		assertThat(install.get("variables").valueStream().filter(v -> v.get("name").asString().equals("account_pass")))
			.singleElement()
			.satisfies(v -> {
				assertThat(v.get("noLog").asBoolean()).isTrue();
				assertThat(v.get("required").asBoolean()).isTrue();
				assertThat(v.get("type").asString()).isEqualTo("str");
			});
	}

	private String submit(String target, Map<String, Object> vars, List<Map<String, Object>> tasks) {
		return api.submit(aSubmission().target(target).vars(vars).tasks(tasks));
	}

	private String body(String target, Map<String, Object> vars, List<Map<String, Object>> tasks) {
		return api.write(request(target, vars, tasks));
	}

	private static Map<String, Object> request(String target, Map<String, Object> vars,
			List<Map<String, Object>> tasks) {
		return Map.of("type", "site.test", "engine", "ansible", "target", target, "hosts", "localhost", "vars", vars,
				"tasks", tasks);
	}

	private static Map<String, Object> task(String name, Map<String, Object> vars) {
		return Map.of("name", name, "vars", vars);
	}

	private JsonNode finished(String id) {
		return api.finished(id, RUN);
	}

	private String status(String id) {
		return api.status(id);
	}

	private int count() {
		return jdbc.sql("SELECT count(*) FROM operation").query(Integer.class).single();
	}

	private String field(HttpResponse<String> response) {
		return api.json(response).get("errors").get(0).get("field").asString();
	}

	private static String read(Path path) {
		try {
			return Files.readString(path);
		}
		catch (java.io.IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** An archive as drush writes one, with nothing in it (a valid, empty tar.gz). */
	private static Path emptyArchive(Path path) {
		try {
			Process tar = new ProcessBuilder("tar", "-czf", path.toString(), "-T", "/dev/null").inheritIO().start();
			assertThat(tar.waitFor()).isZero();
			return path;
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static long size(String path) {
		try {
			return Files.size(Path.of(path));
		}
		catch (java.io.IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static String sha256(String path) {
		try {
			return java.util.HexFormat.of()
				.formatHex(
						java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(Path.of(path))));
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
