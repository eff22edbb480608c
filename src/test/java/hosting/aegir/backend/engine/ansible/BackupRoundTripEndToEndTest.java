package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.MariaDb;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
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
import static hosting.aegir.backend.support.OperationAssert.assertThatOperation;
import static hosting.aegir.backend.support.Submission.aSubmission;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups with real data, through HTTP: real ansible-playbook, the real roles, and a
 * drush stand-in that dumps and loads a real MariaDB database and the site's files.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.executor.concurrency=2", "aegir.log.flush-interval=100ms" })
class BackupRoundTripEndToEndTest {

	private static final Duration RUN = Duration.ofSeconds(120);

	static final OperatorInventory OPERATOR = OperatorInventory.create().realDrush();

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	final String siteRoot = OPERATOR.platforms() + "/d10/web";

	@BeforeAll
	static void mariaDb() {
		MariaDb.ensureRunning();
	}

	@BeforeEach
	void setUp() {
		api = new ApiClient(port);
	}

	@Test
	void aRowAndAFileChangedAfterABackupAreBackAfterTheRestore() throws Exception {
		String uri = "rt" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'original')");
		Path file = Files.writeString(Path.of(siteRoot, "sites", uri, "files", "hello.txt"), "original file");
		String target = "site-" + uri;
		Map<String, Object> site = Map.of("site_uri", uri, "site_root", siteRoot);

		JsonNode backup = finished(submit(target, site, List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()))));
		assertThatOperation(backup).isSucceeded();
		String path = backup.get("outputs").get("backup_path").asString();
		JsonNode indexed = api.json(api.get("/api/v1/backups?target=" + target, VIEWER)).get(0);
		assertThat(indexed.get("path").asString()).isEqualTo(path);
		assertThat(indexed.get("sha256").asString()).isEqualTo(sha256(Path.of(path)));
		assertThat(indexed.get("sizeBytes").asLong()).isEqualTo(Files.size(Path.of(path)));
		assertThat(indexed.get("description").asString()).isEqualTo("Generated on request");

		MariaDb.sql(database, "UPDATE node SET title = 'changed' WHERE id = 1; INSERT INTO node VALUES (2, 'added')");
		Files.writeString(file, "changed file");

		JsonNode restore = finished(
				submit(target, site, List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", path)))));
		assertThatOperation(restore).isSucceeded();
		assertThat(MariaDb.sql(database, "SELECT id, title FROM node ORDER BY id")).isEqualTo("1\toriginal\n");
		assertThat(Files.readString(file)).isEqualTo("original file");
	}

	@Test
	void aFailingUpdateRestoresThePreUpdateBackupAndTheOperationSaysSo() throws Exception {
		String uri = "up" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'before')");
		Path updates = Files.createDirectories(Path.of(siteRoot, "sites", uri, "updates"));
		// The update changes a row, then fails half-way.
		Files.writeString(updates.resolve("001.sql"),
				"UPDATE node SET title = 'half-updated'; INSERT INTO nosuchtable VALUES (1);");
		Map<String, Object> site = Map.of("site_uri", uri, "site_root", siteRoot);

		JsonNode op = finished(submit("site-" + uri, site, List.of(task("aegir.UpdateDrupalSite", Map.of()))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString())
			.contains("restored the pre-update backup " + OPERATOR.backups() + "/" + uri + "-");
		assertThat(MariaDb.sql(database, "SELECT id, title FROM node ORDER BY id")).isEqualTo("1\tbefore\n");
		assertThat(MariaDb.sql(database, "SELECT value FROM key_value WHERE name = 'system.maintenance_mode'"))
			.isEqualTo("0\n");
		// The pre-update backup stays usable: indexed although the operation failed, and
		// its file is whole.
		JsonNode backup = api.json(api.get("/api/v1/backups?target=site-" + uri, VIEWER)).get(0);
		assertThat(backup.get("description").asString()).isEqualTo("Before update");
		assertThat(op.get("reason").asString()).contains(backup.get("path").asString());
		assertThat(backup.get("sha256").asString()).isEqualTo(sha256(Path.of(backup.get("path").asString())));
	}

	@Test
	void aSucceedingUpdateAppliesAndLeavesMaintenanceModeOffWithABeforeUpdateBackup() throws Exception {
		String uri = "ok" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'before')");
		Path updates = Files.createDirectories(Path.of(siteRoot, "sites", uri, "updates"));
		Files.writeString(updates.resolve("001.sql"), "UPDATE node SET title = 'updated';");
		String target = "site-" + uri;

		JsonNode op = finished(submit(target, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.UpdateDrupalSite", Map.of()))));
		assertThatOperation(op).isSucceeded();
		assertThat(MariaDb.sql(database, "SELECT title FROM node")).isEqualTo("updated\n");
		assertThat(MariaDb.sql(database, "SELECT value FROM key_value WHERE name = 'system.maintenance_mode'"))
			.isEqualTo("0\n");
		JsonNode backup = api.json(api.get("/api/v1/backups?target=" + target, VIEWER)).get(0);
		assertThat(backup.get("description").asString()).isEqualTo("Before update");
		assertThat(backup.get("sha256").asString()).isEqualTo(sha256(Path.of(backup.get("path").asString())));
	}

	@Test
	void backupRestoreAndCloneNeverTouchThePlatformsCodeAndArchivesHoldNone() throws Exception {
		String uri = "code" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String copy = "copy-" + uri;
		String database = site(uri);
		String copyDatabase = "c" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'x')");
		Files.writeString(Path.of(siteRoot, "sites", uri, "files", "a.txt"), "site file");
		// The platform: a Composer project whose docroot is web/
		// (drupal/recommended-project).
		Path project = Path.of(siteRoot).getParent();
		Files.writeString(project.resolve("composer.json"), "{\"name\": \"aegir/d10\"}\n");
		Files.writeString(Path.of(siteRoot, "index.php"), "<?php // the platform's front controller\n");
		Files.createDirectories(Path.of(siteRoot, "modules", "x"));
		Files.writeString(Path.of(siteRoot, "modules", "x", "x.module"), "<?php // shared by every site\n");
		Map<String, String> code = codeOf(project, uri, copy);

		JsonNode backup = finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()))));
		assertThatOperation(backup).isSucceeded();
		String archive = backup.get("outputs").get("backup_path").asString();
		// Code changed on the platform after the backup must survive the restore.
		Files.writeString(Path.of(siteRoot, "index.php"), "<?php // the platform's front controller, updated\n");
		code = codeOf(project, uri, copy);
		assertThatOperation(finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", archive))))))
			.isSucceeded();
		assertThatOperation(
				finished(submit("site-" + copy, Map.of("site_root", siteRoot),
						List.of(task("aegir.RestoreDrupalSiteBackup",
								Map.of("site_uri", copy, "backup_path", archive, "db_name", copyDatabase))))))
			.isSucceeded();
		try {
			assertThat(codeOf(project, uri, copy)).isEqualTo(code);
			assertThat(Path.of(siteRoot, "sites", copy, "files", "a.txt")).hasContent("site file");
			assertThat(MariaDb.sql(copyDatabase, "SELECT title FROM node")).isEqualTo("x\n");
			// The archive holds the site's files and database, no code component.
			assertThat(listing(archive)).contains("./files/a.txt", "./database/database.sql")
				.noneMatch(entry -> entry.startsWith("./code"));
		}
		finally {
			MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + copyDatabase + "`; DROP USER IF EXISTS '" + copyDatabase
					+ "'@'localhost'");
			Files.delete(project.resolve("composer.json"));
		}
	}

	@Test
	void theStandInDrushRefusesWhatDrushRefusesAndRestoresCodeWhenNoComponentIsNamed() throws Exception {
		Path project = Files.createTempDirectory("aegir-standin-");
		Path web = Files.createDirectories(project.resolve("web/sites/one.example.org/files"));
		Files.writeString(project.resolve("composer.json"), "{}\n");
		Files.writeString(project.resolve("web/index.php"), "original code\n");
		String database = "aegir_standin_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		Files.writeString(project.resolve("web/sites/one.example.org/database"), database + "\n");
		MariaDb.sql(null, "CREATE DATABASE `" + database + "`");
		try {
			String root = "--root=" + project.resolve("web");
			Path archive = project.resolve("all.tar.gz");
			assertThat(standIn("archive:dump", root, "--uri=one.example.org", "--no-such-option"))
				.contains("The \"--no-such-option\" option does not exist");
			// --destination is archive:dump's; archive:restore calls it
			// --destination-path.
			assertThat(standIn("archive:restore", archive.toString(), root, "--destination=/tmp"))
				.contains("The \"--destination\" option does not exist");
			assertThat(standIn("archive:dump", root, "--uri=one.example.org", "--destination=" + archive)).isEmpty();
			assertThat(listing(archive.toString())).contains("./code/web/index.php", "./database/database.sql")
				.noneMatch(entry -> entry.contains("/files/") && entry.startsWith("./code"));
			Files.writeString(project.resolve("web/index.php"), "the platform's newer code\n");
			// No component named: drush restores the code too, over the project.
			assertThat(standIn("archive:restore", archive.toString(), root, "--uri=one.example.org",
					"--destination-path=" + project, "--overwrite", "--yes"))
				.isEmpty();
			assertThat(project.resolve("web/index.php")).hasContent("original code");
		}
		finally {
			MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + database + "`");
		}
	}

	@Test
	void aFailingBackupNeverLeavesTheSiteInMaintenanceAndTheOperationSaysSo() throws Exception {
		String uri = "full" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		Path hook = Files.createDirectories(Path.of(siteRoot, "sites", uri, "standin-fail"));
		Files.writeString(hook.resolve("archive:dump"), "No space left on device");

		JsonNode op = finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.UpdateDrupalSite", Map.of()))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString()).contains("the update failed at the pre-update backup")
			.contains("No space left on device")
			.contains("no restore was needed");
		assertThat(MariaDb.sql(database, "SELECT value FROM key_value WHERE name = 'system.maintenance_mode'"))
			.isEqualTo("0\n");
		assertThat(api.json(api.get("/api/v1/backups?target=site-" + uri, VIEWER))).isEmpty();
	}

	@Test
	void aFailingUpdateWithAFailingRestoreNeverLeavesTheSiteInMaintenanceAndSaysBothFailed() throws Exception {
		String uri = "worst" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'x')");
		Path updates = Files.createDirectories(Path.of(siteRoot, "sites", uri, "updates"));
		Files.writeString(updates.resolve("001.sql"), "INSERT INTO nosuchtable VALUES (1);");
		Path hook = Files.createDirectories(Path.of(siteRoot, "sites", uri, "standin-fail"));
		Files.writeString(hook.resolve("archive:restore"), "cannot restore");

		JsonNode op = finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.UpdateDrupalSite", Map.of()))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString()).contains("the update failed at drush updatedb")
			.contains("the restore of the pre-update backup " + OPERATOR.backups() + "/" + uri + "-")
			.contains("FAILED too");
		assertThat(MariaDb.sql(database, "SELECT value FROM key_value WHERE name = 'system.maintenance_mode'"))
			.isEqualTo("0\n");
	}

	@Test
	void drushAndSoTheSitesPhpRunsAsTheDrushUserNeverAsRoot() throws Exception {
		String uri = "uid" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		site(uri);
		int before = OPERATOR.drushCalls().size();
		assertThatOperation(finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.VerifyDrupalSite", Map.of()), task("aegir.GenerateDrupalSiteBackup", Map.of())))))
			.isSucceeded();
		String drushUid = new String(
				new ProcessBuilder("id", "-u", OperatorInventory.DRUSH_USER).start().getInputStream().readAllBytes())
			.strip();
		assertThat(drushUid).isNotEqualTo("0");
		// Each line: the command and the uid drush's own process had
		// (/proc/<pid>/status).
		assertThat(OPERATOR.drushCalls().subList(before, OPERATOR.drushCalls().size()))
			.containsExactly("cache:rebuild " + drushUid, "archive:dump " + drushUid);
		Path files = Path.of(siteRoot, "sites", uri, "files");
		assertThat(Files.getOwner(files, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName())
			.isEqualTo(OperatorInventory.DRUSH_USER);
	}

	@Test
	void anArchiveHoldingALinkAnAbsoluteNameOrDotDotIsRefusedBeforeAnythingIsExtracted() throws Exception {
		String uri = "evil" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		site(uri);
		Path work = Files.createTempDirectory("aegir-evil-archive-");
		Path files = Files.createDirectories(work.resolve("files"));
		Files.createSymbolicLink(files.resolve("shadow"), Path.of("/etc/shadow"));
		Path withLink = tar(OPERATOR.backups().resolve(uri + "-link.tar.gz"), "-C", work.toString(), ".");
		Files.delete(files.resolve("shadow"));
		Files.writeString(files.resolve("x"), "escaped");
		String escaped = "escaped-" + UUID.randomUUID();
		Path withDotDot = tar(OPERATOR.backups().resolve(uri + "-dotdot.tar.gz"), "-C", work.toString(), "--transform",
				"s,^./files/x,../../" + escaped + ",", "./files/x");
		Path withAbsolute = tar(OPERATOR.backups().resolve(uri + "-absolute.tar.gz"), "-P",
				files.resolve("x").toString());

		long restoresBefore = restores();
		for (Path archive : List.of(withLink, withDotDot, withAbsolute)) {
			JsonNode op = finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
					List.of(task("aegir.RestoreDrupalSiteBackup", Map.of("backup_path", archive.toString())))));
			assertThatOperation(op).isFailed();
			assertThat(op.get("reason").asString()).as(archive.toString())
				.contains("holds a link, a special file, an absolute name or '..': refused");
		}
		assertThat(Path.of(siteRoot, "sites", uri, "files", "shadow")).doesNotExist();
		// drush never saw them.
		assertThat(restores()).isEqualTo(restoresBefore);
		assertThat(namedIn(Path.of("/tmp"), 3, escaped)).isEmpty();
	}

	@Test
	void aLinkTheSitesPhpPlantsDuringThePreDeleteBackupMakesRootRemoveNothingOutside() throws Exception {
		String uri = "race" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		Path root = Path.of(OPERATOR.platforms().toString(), "race-" + UUID.randomUUID(), "web");
		Path site = Files.createDirectories(root.resolve("sites").resolve(uri).resolve("files"));
		String database = "aegir_" + uri.replaceAll("[^A-Za-z0-9]", "_");
		Files.writeString(site.getParent().resolve("database"), database + "\n");
		MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + database + "`; CREATE DATABASE `" + database + "`");
		// Outside the platforms: a directory holding one named like the site.
		Path victim = Files.createTempDirectory("aegir-victim-");
		Files.createDirectories(victim.resolve(uri));
		Files.writeString(victim.resolve(uri).resolve("keep.txt"), "keep");
		// The site's PHP, which drush runs during the pre-delete backup, swaps the
		// platform's sites directory for a link once the roles have checked it.
		Path sites = root.resolve("sites");
		Path hook = Files.createDirectories(site.getParent().resolve("standin-after"));
		Files.writeString(hook.resolve("archive:dump"),
				"mv " + sites + " " + sites + ".moved && ln -s " + victim + " " + sites + "\n");
		OPERATOR.giveToDrushUser(victim);

		JsonNode op = finished(submit("site-" + uri, Map.of("site_uri", uri, "site_root", root.toString()),
				List.of(task("aegir.DeleteDrupalSite", Map.of("db_name", database)))));
		assertThatOperation(op).isFailed();
		assertThat(op.get("reason").asString()).contains(root + "/sites is a link or not a directory; nothing removed");
		assertThat(victim.resolve(uri).resolve("keep.txt")).hasContent("keep");
		assertThat(Files.isSymbolicLink(sites)).isTrue();
	}

	private static long restores() {
		return OPERATOR.drushCalls().stream().filter(call -> call.startsWith("archive:restore ")).count();
	}

	private static Path tar(Path archive, String... args) throws Exception {
		List<String> command = new java.util.ArrayList<>(List.of("tar", "-czf", archive.toString()));
		command.addAll(List.of(args));
		Process tar = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(tar.getInputStream().readAllBytes());
		assertThat(tar.waitFor()).as(output).isZero();
		return archive;
	}

	/** Every file of the platform but the sites' own directories, with its content. */
	private static Map<String, String> codeOf(Path project, String... uris) throws Exception {
		Map<String, String> code = new java.util.TreeMap<>();
		try (var paths = Files.walk(project)) {
			for (Path path : paths.filter(Files::isRegularFile).toList()) {
				String relative = project.relativize(path).toString();
				if (java.util.Arrays.stream(uris).noneMatch(uri -> relative.startsWith("web/sites/" + uri + "/"))) {
					code.put(relative, Files.readString(path));
				}
			}
		}
		return code;
	}

	private static List<String> listing(String archive) throws Exception {
		Process tar = new ProcessBuilder("tar", "-tzf", archive).redirectErrorStream(true).start();
		List<String> entries = new String(tar.getInputStream().readAllBytes()).lines().toList();
		assertThat(tar.waitFor()).as(entries.toString()).isZero();
		return entries;
	}

	/** Runs the stand-in drush directly; returns what it wrote to stderr. */
	private static String standIn(String... args) throws Exception {
		List<String> command = new java.util.ArrayList<>(List.of("bash", OPERATOR.dir() + "/drush-standin.sh"));
		command.addAll(List.of(args));
		Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
		String stderr = new String(process.getErrorStream().readAllBytes());
		int exit = process.waitFor();
		assertThat(exit == 0).as("exit " + exit + ": " + stderr).isEqualTo(stderr.isEmpty());
		return stderr;
	}

	@Test
	void deletedBackupsAreGoneAndMarkedAndAPathOutsideTheRootDeletesNothing() throws Exception {
		String uri = "del" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		site(uri);
		String target = "site-" + uri;
		Map<String, Object> site = Map.of("site_uri", uri, "site_root", siteRoot);
		String path = finished(submit(target, site, List.of(task("aegir.GenerateDrupalSiteBackup", Map.of()))))
			.get("outputs")
			.get("backup_path")
			.asString();
		Path outside = Files.writeString(Files.createTempFile("not-a-backup", ".tar.gz"), "keep me");

		JsonNode refused = finished(submit(target, Map.of(), List
			.of(task("aegir.DeleteDrupalSiteBackups", Map.of("backup_paths", List.of(path, outside.toString()))))));
		assertThatOperation(refused).isFailed();
		assertThat(Path.of(path)).exists();
		assertThat(outside).exists();

		JsonNode deleted = finished(submit(target, Map.of(),
				List.of(task("aegir.DeleteDrupalSiteBackups", Map.of("backup_paths", List.of(path))))));
		assertThatOperation(deleted).isSucceeded();
		assertThat(Path.of(path)).doesNotExist();
		assertThat(api.json(api.get("/api/v1/backups?target=" + target, VIEWER)).get(0).get("deletedAt")).isNotNull();
	}

	@Test
	void theLoginLinkIsASubmittersOnlyAndNeverInTheLogOrEvents() throws Exception {
		String uri = "login" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		site(uri);
		String id = submit("site-" + uri, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.GenerateDrupalLoginLink", Map.of())));
		assertThat(finished(id).get("status").asString()).isEqualTo("SUCCEEDED");

		String link = api.json(api.get("/api/v1/operations/" + id, SUBMITTER))
			.get("outputs")
			.get("login_link")
			.asString();
		assertThat(link).startsWith("http://" + uri + "/user/reset/1/").endsWith("/login");
		assertThat(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("outputs").get("login_link").asString())
			.isEqualTo("********");
		String secretPart = link.substring(link.lastIndexOf('/', link.length() - "/login".length() - 1) + 1);
		await("the log is complete").atMost(RUN)
			.until(() -> api.json(api.get("/api/v1/operations/" + id + "/log", SUBMITTER)).get("complete").asBoolean());
		assertThat(api.get("/api/v1/operations/" + id + "/log", SUBMITTER).body()).contains("user:login")
			.doesNotContain(secretPart);
		assertThat(api.get("/api/v1/operations/" + id + "/events", SUBMITTER).body()).doesNotContain(secretPart);
		// A stream serves viewers too: it shows that the link exists, never what it is.
		StringBuilder streamed = new StringBuilder();
		try (var stream = hosting.aegir.backend.support.EventStream.open(
				hosting.aegir.backend.support.EventStream.client(), port, "/api/v1/operations/" + id + "/stream",
				VIEWER, null)) {
			for (var event = stream.next(); event != null; event = stream.next()) {
				streamed.append(event.data()).append('\n');
			}
		}
		assertThat(streamed.toString()).contains("\"login_link\":\"********\"").doesNotContain(secretPart);
		assertThat(api.json(api.get("/api/v1/tasks", VIEWER))
			.valueStream()
			.filter(t -> t.get("name").asString().equals("aegir.GenerateDrupalLoginLink"))
			.findFirst()
			.orElseThrow()
			.get("outputs")
			.get(0)
			.get("secret")
			.asBoolean()).isTrue();
	}

	@Test
	void aCloneIntoAnExistingEmptyDatabaseIsRefusedAndDropsNothingItDidNotCreate() throws Exception {
		String uri = "src" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String copy = "copy-" + uri;
		site(uri);
		// A neighbour's database, still empty while its site is being installed.
		String neighbour = "n" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
		MariaDb.sql(null, "CREATE DATABASE `" + neighbour + "`");
		try {
			JsonNode op = finished(submit("site-" + copy, Map.of("site_root", siteRoot),
					List.of(task("aegir.GenerateDrupalSiteBackup", Map.of("site_uri", uri)),
							task("aegir.RestoreDrupalSiteBackup", Map.of("site_uri", copy, "db_name", neighbour,
									"backup_path", Map.of("fromOutput", Map.of("task", 0, "name", "backup_path")))))));
			assertThatOperation(op).isFailed();
			assertThat(MariaDb.sql(null, "SHOW DATABASES LIKE '" + neighbour + "'")).isEqualTo(neighbour + "\n");
			assertThat(MariaDb.sql(null, "SELECT user FROM mysql.user WHERE user = '" + neighbour + "'")).isEmpty();
			assertThat(Path.of(siteRoot, "sites", copy)).doesNotExist();
		}
		finally {
			MariaDb.sql(null,
					"DROP DATABASE IF EXISTS `" + neighbour + "`; DROP USER IF EXISTS '" + neighbour + "'@'localhost'");
		}
	}

	@Test
	void aCloneIsABackupAndARestoreUnderANewUriIntoANewDatabaseInOneOperation() throws Exception {
		String uri = "src" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String copy = "copy-" + uri;
		String database = site(uri);
		String copyDatabase = site(copy);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'source')");
		Files.writeString(Path.of(siteRoot, "sites", uri, "files", "a.txt"), "source file");

		JsonNode op = finished(submit("site-" + copy, Map.of("site_root", siteRoot),
				List.of(task("aegir.GenerateDrupalSiteBackup", Map.of("site_uri", uri)),
						task("aegir.RestoreDrupalSiteBackup", Map.of("site_uri", copy, "backup_path",
								Map.of("fromOutput", Map.of("task", 0, "name", "backup_path")))))));
		assertThatOperation(op).isSucceeded();
		assertThat(MariaDb.sql(copyDatabase, "SELECT title FROM node")).isEqualTo("source\n");
		assertThat(Files.readString(Path.of(siteRoot, "sites", copy, "files", "a.txt"))).isEqualTo("source file");
		// The source is untouched: a change to the copy stays in the copy.
		MariaDb.sql(copyDatabase, "UPDATE node SET title = 'copy'");
		assertThat(MariaDb.sql(database, "SELECT title FROM node")).isEqualTo("source\n");
	}

	@Test
	void verifyMakesTheDirectoriesAndSettingsIncludeAndChangesNothingTheSecondTime() throws Exception {
		String uri = "verify" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		Map<String, Object> site = Map.of("site_uri", uri, "site_root", siteRoot);
		JsonNode first = finished(submit("site-" + uri, site, List.of(task("aegir.VerifyDrupalSite", Map.of()))));
		assertThatOperation(first).isSucceeded();
		assertThat(first.get("tasks").get(0).get("changed").asInt()).isPositive();
		Path files = Path.of(siteRoot, "sites", uri, "files");
		assertThat(Files.getAttribute(files, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS)).isEqualTo(0_42770);
		assertThat(Files.readAttributes(files, java.nio.file.attribute.PosixFileAttributes.class).group().getName())
			.isEqualTo("www-data");
		assertThat(Files.readString(Path.of(siteRoot, "sites", uri, "settings.php"))).contains("settings.aegir.php");

		JsonNode second = finished(submit("site-" + uri, site, List.of(task("aegir.VerifyDrupalSite", Map.of()))));
		assertThatOperation(second).isSucceeded();
		assertThat(second.get("tasks").get(0).get("changed").asInt()).isZero();
	}

	@Test
	void deleteLeavesAPreDeleteBackupAndRemovesTheDataTheDirectoryAndTheVhost() throws Exception {
		String uri = "gone" + UUID.randomUUID().toString().substring(0, 8) + ".example.org";
		String database = site(uri);
		MariaDb.sql(database,
				"CREATE TABLE node (id int PRIMARY KEY, title varchar(100)); INSERT INTO node VALUES (1, 'last words')");
		Path vhost = Files.writeString(OPERATOR.vhosts().resolve(uri + ".conf"), "server { }\n");
		String target = "site-" + uri;

		JsonNode op = finished(submit(target, Map.of("site_uri", uri, "site_root", siteRoot),
				List.of(task("aegir.DeleteDrupalSite", Map.of("db_name", database)))));
		assertThatOperation(op).isSucceeded();
		assertThat(Path.of(siteRoot, "sites", uri)).doesNotExist();
		assertThat(vhost).doesNotExist();
		assertThat(MariaDb.sql(null, "SHOW DATABASES LIKE '" + database + "'")).isEmpty();
		JsonNode backup = api.json(api.get("/api/v1/backups?target=" + target, VIEWER)).get(0);
		assertThat(backup.get("description").asString()).isEqualTo("Pre-delete backup");
		assertThat(backup.get("sha256").asString()).isEqualTo(sha256(Path.of(backup.get("path").asString())));
	}

	/**
	 * A site directory (sites/<uri> with files/ and the name of its database) and an
	 * empty database.
	 */
	private String site(String uri) throws Exception {
		String database = "aegir_" + uri.replaceAll("[^A-Za-z0-9]", "_");
		Path dir = Files.createDirectories(Path.of(siteRoot, "sites", uri, "files"));
		Files.writeString(dir.getParent().resolve("database"), database + "\n");
		MariaDb.sql(null, "DROP DATABASE IF EXISTS `" + database + "`; CREATE DATABASE `" + database + "`");
		return database;
	}

	private String submit(String target, Map<String, Object> vars, List<Map<String, Object>> tasks) {
		// What the test wrote into the platform as root is the site's, as on a host.
		OPERATOR.givePlatformsToDrushUser();
		return api.submit(aSubmission().target(target).vars(vars).tasks(tasks));
	}

	private static Map<String, Object> task(String name, Map<String, Object> vars) {
		return Map.of("name", name, "vars", vars);
	}

	private JsonNode finished(String id) {
		return api.finished(id, RUN);
	}

	private static String sha256(Path path) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path)));
	}

	// Files.find gives up on the first entry that vanishes while it walks; other
	// processes
	// (ansible's own temporary files among them) come and go in /tmp all the time.
	private static List<Path> namedIn(Path root, int depth, String name) throws IOException {
		List<Path> found = new ArrayList<>();
		Files.walkFileTree(root, Set.of(), depth, new SimpleFileVisitor<>() {
			@Override
			public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
				if (file.endsWith(name)) {
					found.add(file);
				}
				return FileVisitResult.CONTINUE;
			}

			@Override
			public FileVisitResult visitFileFailed(Path file, IOException ex) {
				return FileVisitResult.CONTINUE;
			}
		});
		return found;
	}

}
