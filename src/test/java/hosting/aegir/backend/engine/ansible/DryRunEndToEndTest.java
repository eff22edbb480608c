package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.MariaDb;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Dry runs ({@code check: true}, ansible-playbook --check --diff) of every role of the
 * catalog through HTTP, on a real site (the drush stand-in on a real MariaDB): the site's
 * files, its database, the backups, the vhosts and the backup index are the same after as
 * before, and the events say what a real run would change. And verbosity: stored, shown,
 * passed as -v..-vvvv, refused outside 0..4.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.log.flush-interval=100ms" })
class DryRunEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(120);

	static final OperatorInventory OPERATOR = OperatorInventory.create().realDrush();

	static final Path REPOSITORY = gitRepository();

	static {
		OPERATOR.set("git_repo_prefixes", List.of("file://" + REPOSITORY));
	}

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	final String platform = OPERATOR.platforms() + "/d10/web";

	final String uri = "dry" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";

	final String database = "aegir_dry_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

	final String newDatabase = database + "_new";

	String backup;

	@BeforeAll
	void aSiteWithABackupAVhostAndAPendingUpdate() throws Exception {
		MariaDb.ensureRunning();
		api = new ApiClient(port);
		Path site = Files.createDirectories(Path.of(platform, "sites", uri, "files"));
		Files.writeString(site.resolve("a.txt"), "the site's file");
		Files.writeString(site.getParent().resolve("database"), database + "\n");
		Files.createDirectories(site.getParent().resolve("updates"));
		Files.writeString(site.getParent().resolve("updates/001.sql"), "UPDATE node SET title = 'updated';");
		OPERATOR.givePlatformsToDrushUser();
		MariaDb.sql(null, "CREATE DATABASE `" + database + "`");
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'as it was')");
		JsonNode made = finished(submit(false, null, "aegir.GenerateDrupalSiteBackup", site()));
		assertThat(made.get("status").asString()).as(made.toString()).isEqualTo("SUCCEEDED");
		backup = made.get("outputs").get("backup_path").asString();
		assertThat(finished(submit(false, null, "aegir.WriteNginxVhost", site())).get("status").asString())
			.isEqualTo("SUCCEEDED");
	}

	@AfterAll
	void dropTheDatabases() {
		MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + database + "`; DROP DATABASE IF EXISTS `" + newDatabase + "`");
	}

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
	}

	/** Every task of the catalog, with variables that would change something real. */
	Stream<String> catalog() {
		return api.json(new ApiClient(port).get("/api/v1/tasks", VIEWER))
			.valueStream()
			.filter(t -> t.get("engine").asString().equals("ansible"))
			.map(t -> t.get("name").asString());
	}

	private Map<String, Object> varsFor(String task) {
		String other = "new-" + uri;
		return switch (task) {
			case "aegir.DeleteDrupalSite" -> Map.of("site_uri", uri, "site_root", platform, "db_name", database);
			case "aegir.GenerateDrupalSiteBackup", "aegir.UpdateDrupalSite", "aegir.VerifyDrupalSite",
					"aegir.GenerateDrupalLoginLink", "aegir.RunDrupalCron", "aegir.DisableDrupalSite" ->
				site();
			case "aegir.RestoreDrupalSiteBackup" ->
				Map.of("site_uri", other, "site_root", platform, "backup_path", backup, "db_name", newDatabase);
			case "aegir.DeleteDrupalSiteBackups" -> Map.of("backup_paths", List.of(backup));
			case "aegir.InstallDrupalSite" -> Map.of("site_uri", other, "site_root", platform, "db_name", newDatabase,
					"db_user", newDatabase, "db_password", "secret-password", "account_pass", "admin-password");
			case "aegir.DeployDrupalGitPlatform" -> Map.of("git_repo", "file://" + REPOSITORY, "platform_root",
					OPERATOR.platforms() + "/git-" + UUID.randomUUID());
			case "aegir.WriteNginxVhost", "aegir.EnableDrupalSite" -> Map.of("site_uri", other, "site_root", platform);
			case "aegir.DeleteNginxVhost" -> Map.of("site_uri", uri);
			default -> throw new AssertionError(task + " has no dry-run case here: add one");
		};
	}

	@ParameterizedTest
	@MethodSource("catalog")
	void aDryRunChangesNothingAndSaysWhatWouldChange(String task) {
		String before = state();
		String backupsBefore = api.get("/api/v1/backups?target=site-" + uri, VIEWER).body();

		JsonNode op = finished(submit(true, null, task, varsFor(task)));

		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
		assertThat(op.get("check").asBoolean()).isTrue();
		assertThat(state()).as("the site's files, database, backups and vhosts").isEqualTo(before);
		assertThat(api.get("/api/v1/backups?target=site-" + uri, VIEWER).body()).isEqualTo(backupsBefore);
		assertThat(MariaDb.sql(null, "SHOW DATABASES LIKE '" + newDatabase + "'")).isEmpty();
		assertThat(MariaDb.sql(null, "SELECT host FROM mysql.user WHERE user = '" + newDatabase + "'")).isEmpty();
		JsonNode events = api.json(api.get("/api/v1/operations/" + op.get("id").asString() + "/events", VIEWER))
			.get("events");
		// A login link changes nothing, so its dry run has nothing to report; every other
		// task would change something.
		if (!task.equals("aegir.GenerateDrupalLoginLink")) {
			assertThat(events.valueStream()
				.filter(e -> e.get("changed").asBoolean() || String.valueOf(e.get("message")).contains("check mode"))
				.toList()).as(events.toString()).isNotEmpty();
		}
		if (task.equals("aegir.WriteNginxVhost")) {
			assertThat(events.valueStream()
				.filter(e -> e.get("task").asString().equals("Write the vhost"))
				.findFirst()
				.orElseThrow()
				.get("message")
				.asString()).contains("+    server_name new-" + uri);
		}
	}

	@Test
	void verbosityIsStoredShownAndPassedAsDashVs() {
		JsonNode quiet = finished(submit(false, null, "aegir.RunDrupalCron", site()));
		JsonNode loud = finished(submit(false, 3, "aegir.RunDrupalCron", site()));
		assertThat(loud.get("verbosity").asInt()).isEqualTo(3);
		assertThat(quiet.get("verbosity").asInt()).isZero();
		assertThat(quiet.get("check").asBoolean()).isFalse();
		// -vvv: ansible-playbook names its connection for every task; quiet, it never
		// does.
		assertThat(log(loud)).contains("ESTABLISH LOCAL CONNECTION");
		assertThat(log(quiet)).doesNotContain("ESTABLISH LOCAL CONNECTION");
	}

	@Test
	void aVerbosityOutsideZeroToFourIsA422NamingTheField() {
		for (int verbosity : new int[] { -1, 5 }) {
			Map<String, Object> body = body(false, verbosity, "aegir.RunDrupalCron", site());
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, api.write(body));
			assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
			assertThat(api.json(response).get("errors").get(0).get("field").asString()).isEqualTo("verbosity");
		}
	}

	private Map<String, Object> site() {
		return Map.of("site_uri", uri, "site_root", platform);
	}

	private String log(JsonNode op) {
		String id = op.get("id").asString();
		await("the log is complete").atMost(RUN)
			.until(() -> api.json(api.get("/api/v1/operations/" + id + "/log", SUBMITTER)).get("complete").asBoolean());
		return api.get("/api/v1/operations/" + id + "/log?limit=10000", SUBMITTER).body();
	}

	/**
	 * A digest of everything a role could change: the operator's roots (files, modes) and
	 * the site's database.
	 */
	private String state() {
		StringBuilder all = new StringBuilder();
		for (Path root : List.of(OPERATOR.platforms(), OPERATOR.backups(), OPERATOR.vhosts())) {
			try (Stream<Path> paths = Files.walk(root)) {
				paths.sorted().forEach(path -> all.append(describe(path)).append('\n'));
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		all.append(MariaDb.sql(null, "CHECKSUM TABLE `" + database + "`.node EXTENDED"));
		all.append(MariaDb.sql(database, "SELECT * FROM node ORDER BY id"));
		all.append(MariaDb.sql(database, "SHOW TABLES"));
		return sha256(all.toString().getBytes());
	}

	private static String describe(Path path) {
		try {
			Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
			String content = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? sha256(Files.readAllBytes(path))
					: "";
			return path + " " + mode + " " + content;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private Map<String, Object> body(boolean check, Integer verbosity, String task, Map<String, Object> vars) {
		Map<String, Object> body = new LinkedHashMap<>(
				Map.of("type", "site.dry", "engine", "ansible", "target", "site-" + uri, "hosts", "localhost", "tasks",
						List.of(Map.of("name", task, "vars", vars)), "check", check));
		if (verbosity != null) {
			body.put("verbosity", verbosity);
		}
		return body;
	}

	private String submit(boolean check, Integer verbosity, String task, Map<String, Object> vars) {
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
				api.write(body(check, verbosity, task, vars)));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return api.json(response).get("id").asString();
	}

	private JsonNode finished(String id) {
		await(id + " finishes").atMost(RUN)
			.until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT")
				.contains(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
		return api.json(api.get("/api/v1/operations/" + id, VIEWER));
	}

	private static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (java.security.NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Path gitRepository() {
		try {
			Path repo = Files.createTempDirectory("aegir-platform-repo-");
			Files.writeString(repo.resolve("index.php"), "<?php // a platform\n");
			for (List<String> command : List.of(List.of("git", "init", "-q", "-b", "main"), List.of("git", "add", "."),
					List.of("git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m",
							"platform"))) {
				Process process = new ProcessBuilder(command).directory(repo.toFile())
					.redirectErrorStream(true)
					.start();
				String output = new String(process.getInputStream().readAllBytes());
				if (process.waitFor() != 0) {
					throw new IllegalStateException(command + ": " + output);
				}
			}
			return repo;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
