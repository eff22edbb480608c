package hosting.aegir.backend.engine.ansible;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.MariaDb;
import hosting.aegir.backend.support.Nginx;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
 * A site's life past its install, through HTTP: delete, disable and enable, clone and
 * migrate, with real ansible-playbook, the real roles, the drush stand-in on a real
 * MariaDB and a real nginx that serves what the roles configure. What nginx serves of a
 * site here is its public files (no PHP-FPM runs: DrupalVhostRoleTest runs PHP).
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.executor.concurrency=2", "aegir.log.flush-interval=100ms" })
class SiteLifeEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(120);

	static final String DISABLED_PAGE = "https://hosting.example.org/site-disabled";

	static final Nginx NGINX = Nginx.create();

	static final OperatorInventory OPERATOR = NGINX.configure(OperatorInventory.create().realDrush())
		.set("site_disabled_url", DISABLED_PAGE);

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	final String platform = OPERATOR.platforms() + "/d10/web";

	final String otherPlatform = OPERATOR.platforms() + "/d11/web";

	/** Databases and users this test made, dropped after it: the MariaDB is shared. */
	final List<String> made = new ArrayList<>();

	@BeforeAll
	static void mariaDb() {
		MariaDb.ensureRunning();
	}

	@BeforeEach
	void setUp() throws Exception {
		api = new ApiClient(port);
		Files.createDirectories(Path.of(otherPlatform));
		Files.writeString(Path.of(otherPlatform, "platform.txt"), "platform d11\n");
		Files.createDirectories(Path.of(platform));
		Files.writeString(Path.of(platform, "platform.txt"), "platform d10\n");
		NGINX.start();
	}

	@AfterEach
	void tearDown() {
		NGINX.stop();
		for (String name : made) {
			MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + name + "`; DROP USER IF EXISTS '" + name + "'@'localhost'");
		}
	}

	@Test
	void deleteDropsTheDatabaseAndItsUserKeepsThePreDeleteBackupAndNginxNoLongerServesTheSite() throws Exception {
		String uri = unique("gone");
		String database = site(platform, uri, "last words");
		assertThat(finished(
				submit(uri, List.of(task("aegir.WriteNginxVhost", Map.of("site_uri", uri, "site_root", platform)))))
			.get("status")
			.asString()).isEqualTo("SUCCEEDED");
		await("nginx serves the site").atMost(RUN)
			.until(() -> NGINX.get(uri, "/sites/" + uri + "/files/a.txt").status() == 200);
		assertThat(NGINX.get(uri, "/sites/" + uri + "/files/a.txt").body()).isEqualTo("last words");

		JsonNode op = finished(submit(uri, List
			.of(task("aegir.DeleteDrupalSite", Map.of("site_uri", uri, "site_root", platform, "db_name", database)))));

		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
		assertThat(MariaDb.sql(null, "SHOW DATABASES LIKE '" + database + "'")).isEmpty();
		assertThat(MariaDb.sql(null, "SELECT host FROM mysql.user WHERE user = '" + database + "'")).isEmpty();
		assertThat(Path.of(platform, "sites", uri)).doesNotExist();
		assertThat(NGINX.vhosts().resolve(uri + ".conf")).doesNotExist();
		await("nginx no longer serves the site").atMost(RUN)
			.until(() -> NGINX.get(uri, "/sites/" + uri + "/files/a.txt").status() == 404);
		assertThat(NGINX.get(uri, "/sites/" + uri + "/files/a.txt").body()).doesNotContain("last words");
		// What was deleted can come back: the pre-delete archive is indexed and whole.
		JsonNode backup = api.json(api.get("/api/v1/backups?target=site-" + uri, VIEWER)).get(0);
		assertThat(backup.get("description").asString()).isEqualTo("Pre-delete backup");
		assertThat(backup.get("deletedAt")).isNull();
		assertThat(Path.of(backup.get("path").asString())).isRegularFile();
		assertThat(op.get("outputs").get("backup_path").asString()).isEqualTo(backup.get("path").asString());
	}

	@Test
	void deleteRefusesToDropTheDatabaseAndUserOfAnotherSiteThatTheTenantsSettingsName() throws Exception {
		String victimUri = unique("victim");
		String victim = site(platform, victimUri, "the neighbours data");
		String uri = unique("thief");
		String database = site(platform, uri, "mine");
		// The tenant's PHP rewrites its own settings.php to name its neighbour's database
		// and user.
		Files.writeString(Path.of(platform, "sites", uri, "database"), victim + "\n");
		Files.writeString(Path.of(platform, "sites", uri, "database_user"), victim + "\n");

		JsonNode op = finished(submit(uri, List
			.of(task("aegir.DeleteDrupalSite", Map.of("site_uri", uri, "site_root", platform, "db_name", database)))));

		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("refused before any change")
			.contains("the database " + victim);
		assertThat(MariaDb.sql(victim, "SELECT title FROM node")).contains("the neighbours data");
		assertThat(MariaDb.sql(null, "SELECT host FROM mysql.user WHERE user = '" + victim + "'")).isNotEmpty();
		assertThat(MariaDb.sql(database, "SELECT title FROM node")).contains("mine");
		assertThat(Path.of(platform, "sites", uri, "files", "a.txt")).hasContent("mine");
	}

	@Test
	void aDisabledSiteRedirectsToTheOperatorsPageAndServesItsContentAgainOnceEnabled() throws Exception {
		String uri = unique("off");
		site(platform, uri, "site content");
		Map<String, Object> vhost = Map.of("site_uri", uri, "site_root", platform);
		String file = "/sites/" + uri + "/files/a.txt";

		assertThat(finished(submit(uri, List.of(task("aegir.EnableDrupalSite", vhost)))).get("status").asString())
			.isEqualTo("SUCCEEDED");
		await("nginx serves the site").atMost(RUN).until(() -> NGINX.get(uri, file).status() == 200);

		JsonNode disabled = finished(submit(uri, List.of(task("aegir.DisableDrupalSite", vhost))));
		assertThat(disabled.get("status").asString()).as(disabled.toString()).isEqualTo("SUCCEEDED");
		await("nginx redirects the site").atMost(RUN).until(() -> NGINX.get(uri, file).status() == 302);
		assertThat(NGINX.get(uri, file).location()).isEqualTo(DISABLED_PAGE);
		assertThat(NGINX.get(uri, "/").location()).isEqualTo(DISABLED_PAGE);
		assertThat(NGINX.get(uri, file).body()).doesNotContain("site content");
		assertThat(Files.readString(Path.of(platform, "sites", uri, "files", "a.txt"))).isEqualTo("site content");

		JsonNode enabled = finished(submit(uri, List.of(task("aegir.EnableDrupalSite", vhost))));
		assertThat(enabled.get("status").asString()).as(enabled.toString()).isEqualTo("SUCCEEDED");
		await("nginx serves the site again").atMost(RUN).until(() -> NGINX.get(uri, file).status() == 200);
		assertThat(NGINX.get(uri, file).body()).isEqualTo("site content");
		assertThat(NGINX.get(uri, file).location()).isNull();
	}

	@Test
	void theDisabledPageIsTheOperatorsNeverTheRequests() {
		String uri = unique("page");
		HttpResponse<String> response = api
			.post("/api/v1/operations", SUBMITTER, body(uri, List.of(task("aegir.DisableDrupalSite",
					Map.of("site_uri", uri, "site_root", platform, "site_disabled_url", "https://evil.example/")))));
		assertThat(response.statusCode()).isEqualTo(422);
		assertThat(response.body()).contains("tasks[0].vars.site_disabled_url");
	}

	@Test
	void aCloneIsOneOperationAndNginxServesTheCopyWithItsOwnNewDatabase() throws Exception {
		String uri = unique("src");
		String copy = "copy-" + uri;
		String database = site(platform, uri, "source file");
		MariaDb.sql(database, "INSERT INTO node VALUES (2, 'written before the clone')");
		String copyDatabase = made(database.substring(0, Math.min(database.length(), 20)) + "_copy");

		JsonNode op = finished(submit(copy, cloneTasks(uri, platform, copy, platform, copyDatabase)));

		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
		assertThat(MariaDb.sql(copyDatabase, "SELECT title FROM node WHERE id = 2"))
			.isEqualTo("written before the clone\n");
		assertThat(MariaDb.sql(null, "SELECT host FROM mysql.user WHERE user = '" + copyDatabase + "'"))
			.isEqualTo("localhost\n");
		assertThat(Files.readString(Path.of(platform, "sites", copy, "database")).strip()).isEqualTo(copyDatabase);
		String file = "/sites/" + copy + "/files/a.txt";
		await("nginx serves the copy").atMost(RUN).until(() -> NGINX.get(copy, file).status() == 200);
		assertThat(NGINX.get(copy, file).body()).isEqualTo("source file");
		// Two sites now: a change to the copy stays in the copy.
		MariaDb.sql(copyDatabase, "UPDATE node SET title = 'copy'");
		assertThat(MariaDb.sql(database, "SELECT title FROM node WHERE id = 2"))
			.isEqualTo("written before the clone\n");
	}

	@Test
	void aMigrationMovesTheSiteToAnotherPlatformAndANewDatabaseAndNginxServesItFromThere() throws Exception {
		String uri = unique("move");
		String database = site(platform, uri, "moving file");
		String newDatabase = made(database.substring(0, Math.min(database.length(), 20)) + "_d11");

		JsonNode op = finished(submit(uri, cloneTasks(uri, platform, uri, otherPlatform, newDatabase)));

		assertThat(op.get("status").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
		assertThat(MariaDb.sql(newDatabase, "SELECT title FROM node WHERE id = 1")).isEqualTo("moving file\n");
		await("nginx serves the site from the other platform").atMost(RUN)
			.until(() -> NGINX.get(uri, "/platform.txt").body().equals("platform d11\n"));
		assertThat(NGINX.get(uri, "/sites/" + uri + "/files/a.txt").body()).isEqualTo("moving file");
	}

	@Test
	void aRestoreNeverOverwritesADatabaseThatHoldsData() throws Exception {
		String uri = unique("keep");
		String victim = site(platform, unique("victim"), "victim data");
		site(platform, uri, "mine");
		JsonNode op = finished(submit(uri, cloneTasks(uri, platform, "x" + uri, platform, victim)));
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(MariaDb.sql(victim, "SELECT title FROM node")).isEqualTo("victim data\n");
	}

	@Test
	void aRestoreThatFailsLeavesNoNewDatabaseOrUserBehind() throws Exception {
		String uri = unique("broken");
		String database = made("a" + UUID.randomUUID().toString().replace("-", "").substring(0, 20));
		// A well-formed archive drush cannot restore: it holds neither files nor a
		// database.
		Path archive = OPERATOR.backups().resolve(uri + "-broken.tar.gz");
		assertThat(new ProcessBuilder("tar", "-czf", archive.toString(), "-T", "/dev/null").start().waitFor()).isZero();
		JsonNode op = finished(submit(uri, List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("site_uri", uri,
				"site_root", platform, "backup_path", archive.toString(), "db_name", database)))));
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("the new database " + database + " and its user were dropped");
		assertThat(MariaDb.sql(null, "SHOW DATABASES LIKE '" + database + "'")).isEmpty();
		assertThat(MariaDb.sql(null, "SELECT host FROM mysql.user WHERE user = '" + database + "'")).isEmpty();
	}

	@Test
	void aReferenceToAnOutputTheEarlierTaskDoesNotHaveIsA422() {
		String uri = unique("ref");
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, body(uri,
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of("site_uri", uri, "site_root", platform)),
						task("aegir.RestoreDrupalSiteBackup", Map.of("site_uri", "copy-" + uri, "site_root", platform,
								"backup_path", Map.of("fromOutput", Map.of("task", 0, "name", "no_such_output")))))));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
		assertThat(response.body()).contains("tasks[1].vars.backup_path");
	}

	/**
	 * Backup, restore under {@code toUri} in {@code toRoot} into a new database, and the
	 * vhost: a clone, or a migration.
	 */
	private static List<Map<String, Object>> cloneTasks(String fromUri, String fromRoot, String toUri, String toRoot,
			String database) {
		return List.of(task("aegir.GenerateDrupalSiteBackup", Map.of("site_uri", fromUri, "site_root", fromRoot)),
				task("aegir.RestoreDrupalSiteBackup",
						Map.of("site_uri", toUri, "site_root", toRoot, "db_name", database, "backup_path",
								Map.of("fromOutput", Map.of("task", 0, "name", "backup_path")))),
				task("aegir.WriteNginxVhost", Map.of("site_uri", toUri, "site_root", toRoot)));
	}

	/**
	 * A site: sites/<uri> with files/a.txt, a database with a node row and the site's own
	 * database user.
	 */
	private String site(String root, String uri, String content) throws Exception {
		String database = made("a" + UUID.randomUUID().toString().replace("-", "").substring(0, 20));
		Path dir = Files.createDirectories(Path.of(root, "sites", uri, "files"));
		Files.writeString(dir.resolve("a.txt"), content);
		Files.writeString(dir.getParent().resolve("database"), database + "\n");
		Files.writeString(dir.getParent().resolve("database_user"), database + "\n");
		MariaDb.sql(null,
				"CREATE DATABASE `" + database + "`; CREATE USER '" + database + "'@'localhost' IDENTIFIED BY 'x"
						+ UUID.randomUUID() + "'; GRANT ALL ON `" + database + "`.* TO '" + database + "'@'localhost'");
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, '" + content
						+ "')");
		return database;
	}

	private String made(String name) {
		made.add(name);
		return name;
	}

	private static String unique(String prefix) {
		return prefix + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
	}

	private String body(String uri, List<Map<String, Object>> tasks) {
		return api.write(Map.of("type", "site.life", "engine", "ansible", "target", "site-" + uri, "hosts", "localhost",
				"tasks", tasks));
	}

	private String submit(String uri, List<Map<String, Object>> tasks) {
		OPERATOR.givePlatformsToDrushUser();
		HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER, body(uri, tasks));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return api.json(response).get("id").asString();
	}

	private static Map<String, Object> task(String name, Map<String, Object> vars) {
		return Map.of("name", name, "vars", vars);
	}

	private JsonNode finished(String id) {
		await(id + " finishes").atMost(RUN)
			.until(() -> List.of("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT")
				.contains(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
		return api.json(api.get("/api/v1/operations/" + id, VIEWER));
	}

}
