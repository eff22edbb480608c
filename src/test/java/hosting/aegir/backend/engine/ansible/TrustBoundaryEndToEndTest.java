package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

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
 * The holes a submitter token used to open, each tried again through HTTP against the
 * real Ansible engine and roles with an operator inventory: every one is refused (422,
 * nothing stored) or harmless, and the canary file the attack would create never exists.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.executor.concurrency=2", "aegir.log.flush-interval=100ms" })
class TrustBoundaryEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(90);

	static final OperatorInventory OPERATOR = OperatorInventory.create();

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	@Autowired
	JdbcClient jdbc;

	ApiClient api;

	Path canary;

	final String siteRoot = OPERATOR.platforms() + "/d10/web";

	@BeforeEach
	void setUp() throws IOException {
		api = new ApiClient(port);
		canary = OPERATOR.dir().resolve("canary-" + UUID.randomUUID());
		OPERATOR.drush("exit 0\n");
	}

	@Test
	void commandsAndExecutablesInARequestAreRefusedAndNeverRun() {
		List<String> attack = List.of("/bin/sh", "-c", "id > " + canary);
		Path evil = hosting.aegir.backend.support.Scripts.write(OPERATOR.dir(), "evil-" + UUID.randomUUID(),
				"id > " + canary + "\n");
		Map<String, Object> site = Map.of("site_uri", "example.org", "site_root", siteRoot);
		record Attempt(String task, Map<String, Object> vars, String field) {
		}
		List<Attempt> attempts = List.of(
				new Attempt("aegir.DeleteNginxVhost", Map.of("nginx_reload_command", attack), "nginx_reload_command"),
				new Attempt("aegir.WriteNginxVhost", Map.of("nginx_reload_command", attack), "nginx_reload_command"),
				new Attempt("aegir.WriteNginxVhost", Map.of("nginx_test_command", attack), "nginx_test_command"),
				new Attempt("aegir.WriteNginxVhost", Map.of("listen_port", 22), "listen_port"),
				new Attempt("aegir.RunDrupalCron", Map.of("drush", evil.toString()), "drush"),
				new Attempt("aegir.GenerateDrupalSiteBackup", Map.of("drush", evil.toString()), "drush"),
				new Attempt("aegir.RestoreDrupalSiteBackup",
						Map.of("drush", evil.toString(), "backup_path", OPERATOR.backups() + "/a.tar.gz"), "drush"),
				new Attempt("aegir.InstallDrupalSite",
						Map.of("drush", evil.toString(), "db_url", "mysql://u:p@h/d", "account_pass", "pw"), "drush"),
				// A database URL chooses the driver and the server: built by the role,
				// never taken.
				new Attempt("aegir.InstallDrupalSite",
						Map.of("db_url", "sqlite://localhost//root/.ssh/authorized_keys2", "account_pass", "pw"),
						"db_url"),
				new Attempt("aegir.InstallDrupalSite",
						Map.of("db_name", "d", "db_user", "u", "db_password", "p", "account_pass", "pw", "db_host",
								"evil.example:3306"),
						"db_host"),
				new Attempt("aegir.RunDrupalCron", Map.of("drush_user", "root"), "drush_user"),
				// Root runs the runner: where it is, and where the site locks are, are
				// the
				// operator's.
				new Attempt("aegir.RunDrupalCron", Map.of("aegir_site_runner_path", evil.toString()),
						"aegir_site_runner_path"),
				new Attempt("aegir.UpdateDrupalSite", Map.of("site_lock_dir", "/tmp"), "site_lock_dir"),
				new Attempt("aegir.DeleteNginxVhost", Map.of("nginx_vhost_dir", "/etc"), "nginx_vhost_dir"),
				new Attempt("aegir.RestoreDrupalSiteBackup", Map.of("backup_root", "/", "backup_path", "/etc/passwd"),
						"backup_root"),
				new Attempt("aegir.GenerateDrupalSiteBackup", Map.of("platforms_root", "/"), "platforms_root"));
		int before = count();
		for (Attempt attempt : attempts) {
			Map<String, Object> vars = new HashMap<>(site);
			if (attempt.task().equals("aegir.DeleteNginxVhost")) {
				vars.remove("site_root");
			}
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, body("site-" + UUID.randomUUID(),
					"localhost", vars, List.of(task(attempt.task(), attempt.vars()))));
			assertThat(response.statusCode()).as(attempt + " -> " + response.body()).isEqualTo(422);
			JsonNode problem = api.json(response);
			assertThat(problem.get("type").asString()).endsWith("/task-invalid");
			assertThat(problem.get("errors").valueStream().map(e -> e.get("field").asString())).as(attempt.toString())
				.contains("tasks[0].vars." + attempt.field());
		}
		// An operator setting in the operation's own vars is refused the same way.
		Map<String, Object> withDrush = new HashMap<>(site);
		withDrush.put("drush", evil.toString());
		HttpResponse<String> shared = api.post("/api/v1/operations", SUBMITTER, body("site-" + UUID.randomUUID(),
				"localhost", withDrush, List.of(task("aegir.RunDrupalCron", Map.of()))));
		assertThat(shared.statusCode()).isEqualTo(422);
		assertThat(api.json(shared).get("errors").get(0).get("field").asString()).isEqualTo("vars.drush");

		assertThat(count()).isEqualTo(before);
		assertThat(canary).doesNotExist();
	}

	@Test
	void theCatalogShowsOnlyWhatAClientMaySend() {
		JsonNode tasks = api.json(api.get("/api/v1/tasks", SUBMITTER));
		List<String> variables = tasks.valueStream()
			.flatMap(t -> t.get("variables")
				.valueStream()
				.map(v -> t.get("name").asString() + "." + v.get("name").asString()))
			.toList();
		assertThat(variables).contains("aegir.WriteNginxVhost.site_uri", "aegir.RestoreDrupalSiteBackup.backup_path")
			.noneMatch(v -> v.endsWith(".drush") || v.endsWith("_command")
					|| v.endsWith("_root") && !v.endsWith(".site_root") && !v.endsWith(".platform_root")
					|| v.endsWith(".nginx_vhost_dir") || v.endsWith(".listen_port"));
		assertThat(tasks.valueStream().map(t -> t.get("name").asString())).doesNotContain("aegir_path_check");
	}

	@Test
	void aVhostOutsideTheVhostDirectoryIsNeverDeleted() throws IOException {
		Path victim = Files.writeString(OPERATOR.dir().resolve("victim.conf"), "keep me");
		for (String uri : List.of("../victim", "../../" + OPERATOR.dir().getFileName() + "/victim",
				"/" + OPERATOR.dir() + "/victim")) {
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, body("site-" + UUID.randomUUID(),
					"localhost", Map.of("site_uri", uri), List.of(task("aegir.DeleteNginxVhost", Map.of()))));
			if (response.statusCode() == 202) {
				JsonNode op = finished(api.json(response).get("id").asString());
				assertThat(op.get("status").asString()).as(uri).isEqualTo("FAILED");
				assertThat(op.get("reason").asString()).as(uri).contains("site_uri must be a host name");
			}
			else {
				assertThat(response.statusCode()).as(uri).isEqualTo(422);
			}
			assertThat(victim).as(uri).hasContent("keep me");
		}
	}

	@Test
	void siteRootsOutsideThePlatformsRootAreRefusedAtSubmitOrOnTheHost() throws IOException {
		OPERATOR.drush("touch " + canary + "\n");
		for (String root : List.of("/etc", OPERATOR.platforms() + "/../inventory",
				OPERATOR.platforms() + "/d10/../../x", "relative/path",
				OPERATOR.platforms() + "/{{ lookup('pipe','id') }}")) {
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
					body("site-" + UUID.randomUUID(), "localhost", Map.of("site_uri", "example.org", "site_root", root),
							List.of(task("aegir.RunDrupalCron", Map.of()))));
			assertThat(response.statusCode()).as(root + " -> " + response.body()).isEqualTo(422);
			assertThat(api.json(response).get("errors").get(0).get("field").asString()).isEqualTo("vars.site_root");
		}
		// A link inside the platforms root that leads out: only the host can tell, and it
		// refuses before drush runs.
		Path link = Files.createSymbolicLink(OPERATOR.platforms().resolve("escape-" + UUID.randomUUID()),
				Path.of("/etc"));
		String id = submit("localhost", Map.of("site_uri", "example.org", "site_root", link + "/web"),
				List.of(task("aegir.RunDrupalCron", Map.of())));
		JsonNode op = finished(id);
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString()).contains("site_root is not inside");
		assertThat(canary).doesNotExist();
	}

	@Test
	void aLinkOutOfThePlatformFailsTheRoleNamingItAndNothingOutsideChanges() throws Exception {
		OPERATOR.drush("touch " + canary + "\n");
		// Outside the platforms root: a directory a root-run chmod would open to tenants,
		// and a file a root-run append would write into.
		Path outside = Files.createTempDirectory("aegir-outside-");
		Files.setPosixFilePermissions(outside, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
		Files.writeString(outside.resolve("binary"), "#!/bin/sh\necho trusted\n");
		Path outsideFile = Files.writeString(Files.createTempFile("aegir-outside-", ".conf"), "root's own file\n");
		String uri = "links" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		Path site = Files.createDirectories(Path.of(siteRoot, "sites", uri));
		Files.createSymbolicLink(site.resolve("files"), outside);
		Files.createSymbolicLink(site.resolve("settings.php"), outsideFile);
		OPERATOR.givePlatformsToDrushUser();
		String modeBefore = describe(outside);
		Path archive = Files.writeString(OPERATOR.backups().resolve(uri + "-1.tar.gz"), "x");

		for (var task : List.of(task("aegir.VerifyDrupalSite", Map.of()),
				task("aegir.InstallDrupalSite",
						Map.of("db_name", "d", "db_user", "u", "db_password", "pw-12345678", "account_pass", "pw")),
				task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", archive.toString())),
				task("aegir.GenerateDrupalSiteBackup", Map.of()), task("aegir.UpdateDrupalSite", Map.of()))) {
			JsonNode op = finished(submit("localhost", Map.of("site_uri", uri, "site_root", siteRoot), List.of(task)));
			assertThatOperation(op).isFailed();
			assertThat(op.get("reason").asString()).as(task.toString())
				.contains(siteRoot + "/sites/" + uri + "/files is a link to " + outside);
		}
		// settings.php alone is named too, once files is a plain directory.
		Files.delete(site.resolve("files"));
		Files.createDirectories(site.resolve("files"));
		OPERATOR.givePlatformsToDrushUser();
		JsonNode op = finished(submit("localhost", Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.VerifyDrupalSite", Map.of()))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString())
			.contains(siteRoot + "/sites/" + uri + "/settings.php is a link to " + outsideFile);

		assertThat(describe(outside)).isEqualTo(modeBefore);
		assertThat(describe(outside)).isEqualTo("rwxr-xr-x root:root");
		try (Stream<Path> entries = Files.list(outside)) {
			assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("binary");
		}
		assertThat(outside.resolve("binary")).hasContent("#!/bin/sh\necho trusted");
		assertThat(outsideFile).hasContent("root's own file");
		assertThat(canary).doesNotExist();
	}

	/** A directory's mode, owner and group, read without following a link. */
	private static String describe(Path path) throws IOException {
		var attributes = Files.readAttributes(path, java.nio.file.attribute.PosixFileAttributes.class,
				java.nio.file.LinkOption.NOFOLLOW_LINKS);
		return java.nio.file.attribute.PosixFilePermissions.toString(attributes.permissions()) + " "
				+ attributes.owner().getName() + ":" + attributes.group().getName();
	}

	@Test
	void hostsAreInventoryNamesNeverPatterns() {
		int before = count();
		for (String hosts : List.of("all", "ungrouped", "*", "local*", "localhost:&webservers", "!localhost",
				"webservers[0:1]", "localhost,all", "nosuchhost", "localhost,nosuchgroup")) {
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
					body("site-" + UUID.randomUUID(), hosts, Map.of("site_uri", "example.org", "site_root", siteRoot),
							List.of(task("aegir.RunDrupalCron", Map.of()))));
			assertThat(response.statusCode()).as(hosts + " -> " + response.body()).isEqualTo(422);
			JsonNode problem = api.json(response);
			assertThat(problem.get("type").asString()).as(hosts).endsWith("/hosts-invalid");
			assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("hosts");
		}
		assertThat(count()).isEqualTo(before);
		// A group of the inventory is a name, and runs on its hosts.
		JsonNode op = finished(submit("webservers", Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.RunDrupalCron", Map.of()))));
		assertThatOperation(op).isSucceeded();
	}

	@Test
	void noProcessEverHasTheInstallSecretsOnItsCommandLine() throws IOException {
		String dbPassword = "db-" + UUID.randomUUID();
		String adminPassword = "admin-" + UUID.randomUUID();
		String marker = "install-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
		Path received = OPERATOR.dir().resolve("received-" + marker);
		// The fake drush keeps what it was given and how, then stays alive a while so the
		// test can look.
		OPERATOR
			.drush("""
					for a in "$@"; do case "$a" in --config=*) f="${a#--config=}"; stat -c '%%a' "$f" > %1$s.mode; cat "$f" > %1$s;; esac; done
					sleep 4
					"""
				.formatted(received));
		String id = submit("localhost", Map.of("site_uri", marker, "site_root", siteRoot),
				List.of(task("aegir.InstallDrupalSite", Map.of("db_name", "drupal", "db_user", "drupal", "db_password",
						dbPassword, "account_pass", adminPassword))));
		List<String> leaks = new ArrayList<>();
		boolean[] sawDrush = { false };
		await(id + " finishes while every command line is read").atMost(RUN).until(() -> {
			for (String commandLine : commandLines()) {
				if (commandLine.contains(marker) && commandLine.contains("site:install")) {
					sawDrush[0] = true;
				}
				if (commandLine.contains(dbPassword) || commandLine.contains(adminPassword)) {
					leaks.add(commandLine);
				}
			}
			return isFinished(status(id));
		});
		assertThat(status(id)).isEqualTo("SUCCEEDED");
		assertThat(sawDrush[0]).as("drush was seen running").isTrue();
		assertThat(leaks).isEmpty();
		// drush did get both secrets, from a file only its owner could read, which is
		// gone now.
		// The URL is the role's: mysql://, the request's names, the operator's server.
		assertThat(Files.readString(received)).contains("mysql://drupal:" + dbPassword + "@localhost/drupal")
			.contains(adminPassword);
		assertThat(Files.readString(Path.of(received + ".mode")).trim()).isEqualTo("600");
		try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
			assertThat(files.filter(f -> f.getFileName().toString().endsWith(".aegir-install"))
				.map(f -> f.resolve("drush.yml"))
				.filter(Files::exists)
				.filter(f -> read(f).contains(adminPassword))).isEmpty();
		}
		// And once it ended, the stored operation no longer holds them.
		String row = jdbc.sql("SELECT vars::text || tasks::text FROM operation WHERE id = :id")
			.param("id", UUID.fromString(id))
			.query(String.class)
			.single();
		assertThat(row).doesNotContain(dbPassword).doesNotContain(adminPassword).contains("********");
	}

	@Test
	void valuesPostgresqlCannotStoreAreA400NamingTheField() {
		int before = count();
		HttpResponse<String> inVars = api.post("/api/v1/operations", SUBMITTER,
				body("site-" + UUID.randomUUID(), "localhost", Map.of("site_uri", "a\u0000b", "site_root", siteRoot),
						List.of(task("aegir.RunDrupalCron", Map.of()))));
		HttpResponse<String> nested = api.post("/api/v1/operations", SUBMITTER, body("site-" + UUID.randomUUID(),
				"localhost", Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.WriteNginxVhost", Map.of("site_aliases", List.of("www.example.org", "x\u0000"))))));
		for (var response : List.of(inVars, nested)) {
			assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
			assertThat(api.json(response).get("type").asString()).endsWith("/validation-failed");
		}
		assertThat(api.json(inVars).get("errors").get(0).get("field").asString()).isEqualTo("vars.site_uri");
		assertThat(api.json(nested).get("errors").get(0).get("field").asString())
			.isEqualTo("tasks[0].vars.site_aliases[1]");
		assertThat(count()).isEqualTo(before);
	}

	@Test
	void eventsArePagedAndMetricsAreTaggedByCatalogTaskNotByFreeText() {
		String freeText = "site.x" + UUID.randomUUID().toString().substring(0, 8);
		Map<String, Object> request = new HashMap<>(request("site-" + UUID.randomUUID(), "localhost",
				Map.of("site_uri", "example.org", "site_root", siteRoot),
				List.of(task("aegir.RunDrupalCron", Map.of()))));
		request.put("type", freeText);
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(request));
		assertThat(response.statusCode()).isEqualTo(202);
		String id = api.json(response).get("id").asString();
		finished(id);

		JsonNode all = api.json(api.get("/api/v1/operations/" + id + "/events", VIEWER));
		assertThat(all.get("complete").asBoolean()).isTrue();
		int total = all.get("events").size();
		assertThat(total).isGreaterThan(2);
		JsonNode first = api.json(api.get("/api/v1/operations/" + id + "/events?limit=2", VIEWER));
		assertThat(first.get("events")).hasSize(2);
		assertThat(first.get("complete").asBoolean()).isFalse();
		JsonNode rest = api.json(api
			.get("/api/v1/operations/" + id + "/events?after=" + first.get("next").asLong() + "&limit=10000", VIEWER));
		assertThat(rest.get("events")).hasSize(total - 2);
		assertThat(rest.get("events").get(0).get("seq").asLong()).isGreaterThan(first.get("next").asLong());

		String metrics = api.get("/actuator/prometheus", VIEWER).body();
		assertThat(metrics).contains("task=\"aegir.RunDrupalCron\"").doesNotContain(freeText);
		assertThat(metrics.lines().filter(l -> l.startsWith("aegir_operations_"))).isNotEmpty()
			.noneMatch(l -> l.contains("type=\""));
	}

	private List<String> commandLines() {
		List<String> lines = new ArrayList<>();
		try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
			processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
				try {
					lines.add(new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0',
							' '));
				}
				catch (IOException ex) {
					// The process ended while the list was read.
				}
			});
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return lines;
	}

	private String submit(String hosts, Map<String, Object> vars, List<Map<String, Object>> tasks) {
		return api.submit(aSubmission().hosts(hosts).vars(vars).tasks(tasks));
	}

	private String body(String target, String hosts, Map<String, Object> vars, List<Map<String, Object>> tasks) {
		return api.write(request(target, hosts, vars, tasks));
	}

	private static Map<String, Object> request(String target, String hosts, Map<String, Object> vars,
			List<Map<String, Object>> tasks) {
		return Map.of("type", "site.test", "engine", "ansible", "target", target, "hosts", hosts, "vars", vars, "tasks",
				tasks);
	}

	private static Map<String, Object> task(String name, Map<String, Object> vars) {
		return Map.of("name", name, "vars", vars);
	}

	private JsonNode finished(String id) {
		return api.finished(id, RUN);
	}

	private static boolean isFinished(String status) {
		return List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT").contains(status);
	}

	private String status(String id) {
		return api.status(id);
	}

	private int count() {
		return jdbc.sql("SELECT count(*) FROM operation").query(Integer.class).single();
	}

	private static String read(Path path) {
		try {
			return Files.readString(path);
		}
		catch (IOException ex) {
			return "";
		}
	}

}
