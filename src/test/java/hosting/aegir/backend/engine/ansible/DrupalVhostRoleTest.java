package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.Nginx;
import hosting.aegir.backend.support.Nginx.Page;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PhpFpm;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.Submission;
import org.junit.jupiter.api.AfterAll;
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
import static hosting.aegir.backend.support.OperationAssert.assertThatOperation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Drupal vhost aegir.WriteNginxVhost writes, served by a real nginx (Debian's
 * nginx-light) and a real PHP-FPM (Debian's php8.2-fpm), both started by the test: only
 * the front controllers run; settings.php, PHP in the public files and everything else
 * Drupal's recipe refuses is neither run nor served, however the path is dressed up.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.ansible.enabled=true")
class DrupalVhostRoleTest {

	private static final Duration RUN = Duration.ofSeconds(90);

	static final String DISABLED_PAGE = "https://hosting.example.org/site-disabled";

	static final Nginx NGINX = Nginx.create();

	static final PhpFpm PHP_FPM = PhpFpm.create();

	static final OperatorInventory OPERATOR = PHP_FPM.configure(NGINX.configure(OperatorInventory.create()))
		.set("site_disabled_url", DISABLED_PAGE);

	/**
	 * Where any PHP file of the platform other than a front controller leaves a trace
	 * when it runs: outside the document root, so nginx never serves it.
	 */
	static final Path RAN = OPERATOR.dir().resolve("ran");

	final Path platform = OPERATOR.platforms().resolve("d10/web");

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	@BeforeAll
	static void startServers() {
		PHP_FPM.start();
		NGINX.start();
	}

	@AfterAll
	static void stopServers() {
		NGINX.stop();
		PHP_FPM.stop();
	}

	@BeforeEach
	void setUp() throws IOException {
		api = new ApiClient(port);
		Files.createDirectories(RAN);
		// The front controllers say something they computed, so their output can never
		// be their source.
		write("index.php", """
				<?php
				echo 'front controller: ', 6 * 7, ' for ', $_SERVER['REQUEST_URI'];
				// httpoxy: a request's Proxy header must not reach the PHP as HTTP_PROXY.
				echo empty($_SERVER['HTTP_PROXY']) ? '' : ' via proxy ' . $_SERVER['HTTP_PROXY'], "\\n";
				""");
		write("update.php", "<?php echo 'update.php: ', 6 * 7, \"\\n\";\n");
		write("core/install.php", trap("core-install.php"));
		write("vendor/autoload.php", trap("vendor-autoload.php"));
		write("composer.json", "{\"name\": \"tenant/secret-project\"}\n");
		write("robots.txt", "User-agent: *\n");
		write("sites/default/settings.php", settings("default"));
	}

	@AfterEach
	void noOtherPhpEverRan() throws IOException {
		try (var traces = Files.list(RAN)) {
			assertThat(traces).as("PHP files that ran although they are no front controller").isEmpty();
		}
	}

	@Test
	void theFrontControllerRunsAndNoOtherPhpIsRunOrServed() throws Exception {
		String uri = site("live");
		enable(uri);

		Page home = NGINX.get(uri, "/");
		assertThat(home.status()).isEqualTo(200);
		assertThat(home.body()).isEqualTo("front controller: 42 for /\n");
		assertThat(NGINX.get(uri, "/node/1?page=2").body()).isEqualTo("front controller: 42 for /node/1?page=2\n");
		assertThat(NGINX.get(uri, "/index.php/node/1").body())
			.isEqualTo("front controller: 42 for /index.php/node/1\n");
		assertThat(NGINX.get(uri, "/robots.txt").body()).isEqualTo("User-agent: *\n");
		Page file = NGINX.get(uri, "/sites/" + uri + "/files/report.txt");
		assertThat(file.status()).isEqualTo(200);
		assertThat(file.body()).isEqualTo("a public file\n");

		String site = "/sites/" + uri;
		assertRefused(uri, "/sites/default/settings.php", "/sites/default/settings.php.bak", site + "/settings.php",
				site + "/settings.local.php", site + "/services.yml", site + "/private/invoice.txt",
				site + "/files/evil.php", site + "/files/.htaccess", "/update.php", "/update.php/selection",
				"/core/install.php", "/vendor/autoload.php", "/composer.json");
	}

	@Test
	void pathTricksReachNeitherAPhpFileNorItsSource() throws Exception {
		String uri = site("tricks");
		enable(uri);
		String site = "/sites/" + uri;

		assertRefused(uri,
				// Path info after a PHP file, or after an uploaded "image" holding PHP.
				site + "/files/evil.php/", site + "/files/evil.php/x", site + "/files/avatar.jpg/index.php",
				// Dot segments and encoded dots, which nginx resolves before choosing.
				"/index.php/../sites/" + uri + "/settings.php", site + "/files/%2e%2e/settings.php",
				site + "/files/../settings.local.php", "/sites/%64efault/settings%2ephp", site + "/files/%2ehtaccess",
				// Encoded slashes and a newline in the path.
				"/index.php%2F..%2Fsites/" + uri + "/settings.php", site + "/files/..%2fsettings.php",
				site + "/files/evil.php%2F", site + "/files/evil.php%0a",
				// Case, editors' and backups' copies and other PHP extensions.
				site + "/files/evil.PHP", "/Index.php", site + "/files/evil.phtml", site + "/settings.php~",
				site + "/settings.php-2024", site + "/files/settings.php.backup", site + "/files/db.sql.gz",
				// Runs of slashes, which nginx does not merge when the operator's http {}
				// says
				// merge_slashes off (as the test nginx does).
				"//vendor/autoload.php", "//sites//" + uri + "//private//invoice.txt", site + "//services.yml");

		// A link a tenant's PHP made in its public files, to its settings.php, is not
		// followed: the path is Drupal's to answer, as for any missing file.
		assertThat(NGINX.get(uri, site + "/files/innocent.txt").body())
			.isEqualTo("front controller: 42 for " + site + "/files/innocent.txt\n");

		// Front-controller path info is only a path for Drupal: the file it names never
		// runs.
		assertThat(NGINX.get(uri, "/index.php" + site + "/files/evil.php").body())
			.isEqualTo("front controller: 42 for /index.php" + site + "/files/evil.php\n");
		assertThat(NGINX.get(uri, "/index.php/a%0ab").body()).isEqualTo("front controller: 42 for /index.php/a%0ab\n");
		assertThat(NGINX.get(uri, "/", "Proxy: http://proxy.evil.example:3128").body())
			.isEqualTo("front controller: 42 for /\n");
	}

	@Test
	void updatePhpRunsOnlyWhereTheOperatorAllowsIt() throws Exception {
		String uri = site("update");
		enable(uri);
		assertRefused(uri, "/update.php");

		OPERATOR.set("allow_update_php", true);
		try {
			enable(uri);
			await("nginx runs update.php").atMost(RUN).until(() -> NGINX.get(uri, "/update.php").status() == 200);
			assertThat(NGINX.get(uri, "/update.php").body()).isEqualTo("update.php: 42\n");
			assertThat(NGINX.get(uri, "/update.php/selection").body()).isEqualTo("update.php: 42\n");
			assertRefused(uri, "/sites/" + uri + "/settings.php", "/Update.php");
		}
		finally {
			OPERATOR.set("allow_update_php", false);
		}
	}

	@Test
	void aDisabledSiteRedirectsEverythingToTheOperatorsPage() throws Exception {
		String uri = site("off");
		enable(uri);

		assertThatOperation(run("aegir.DisableDrupalSite", uri)).isSucceeded();
		await("nginx redirects the site").atMost(RUN).until(() -> NGINX.get(uri, "/").status() == 302);
		for (String path : List.of("/", "/node/1", "/sites/" + uri + "/settings.php",
				"/sites/" + uri + "/files/evil.php")) {
			Page page = NGINX.get(uri, path);
			assertThat(page.status()).as(path).isEqualTo(302);
			assertThat(page.location()).as(path).isEqualTo(DISABLED_PAGE);
			assertThat(page.body()).as(path).doesNotContain("fake-password").doesNotContain("<?php");
		}

		enable(uri);
		assertThat(NGINX.get(uri, "/").body()).isEqualTo("front controller: 42 for /\n");
	}

	@Test
	void theFastcgiAddressIsTheOperatorsAndNeverAddsADirective() throws Exception {
		String uri = site("pass");
		for (String setting : List.of("php_fastcgi_pass", "allow_update_php")) {
			HttpResponse<String> response = api.post("/api/v1/operations", SUBMITTER,
					Submission.aSubmission()
						.type("site.vhost")
						.task("aegir.EnableDrupalSite",
								Map.of("site_uri", uri, "site_root", platform.toString(), setting,
										setting.equals("allow_update_php") ? true : "unix:/tmp/tenant.sock"))
						.toJson());
			assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
			assertThat(response.body()).contains("vars." + setting);
		}

		// Nor does the catalog offer them to a client.
		List<String> offered = api.json(api.get("/api/v1/tasks", SUBMITTER))
			.valueStream()
			.flatMap(t -> t.get("variables").valueStream().map(v -> v.get("name").asString()))
			.toList();
		assertThat(offered).contains("site_root").doesNotContain("php_fastcgi_pass", "allow_update_php");

		String operators = PHP_FPM.fastcgiPass();
		OPERATOR.set("php_fastcgi_pass", operators + "; include /etc/passwd");
		try {
			JsonNode op = run("aegir.WriteNginxVhost", uri);
			assertThatOperation(op).isFailed().hasReasonContaining("Check the inputs");
			assertThat(NGINX.vhosts().resolve(uri + ".conf")).doesNotExist();
		}
		finally {
			OPERATOR.set("php_fastcgi_pass", operators);
		}
	}

	@Test
	void aDocumentRootInsideASitesFilesNeverBecomesAVhost() throws Exception {
		String uri = site("upload");
		// What a tenant can upload: an index.php, in a directory of its public files.
		write("sites/" + uri + "/files/docroot/index.php", trap(uri + "-uploaded-index.php"));

		JsonNode op = api.finished(api.submit(Submission.aSubmission()
			.type("site.vhost")
			.target("site-" + uri)
			.task("aegir.WriteNginxVhost", Map.of("site_uri", uri, "site_root",
					platform.resolve("sites/" + uri + "/files/docroot").toString()))),
				RUN);

		assertThatOperation(op).isFailed().hasReasonContaining("lies inside a sites/ directory");
		assertThat(NGINX.vhosts().resolve(uri + ".conf")).doesNotExist();
		assertThat(NGINX.get(uri, "/").status()).isEqualTo(404);
	}

	/**
	 * Each path is refused (403 or 404), and its answer holds neither a password nor PHP
	 * source; {@link #noOtherPhpEverRan()} checks nothing ran.
	 */
	private void assertRefused(String host, String... paths) {
		for (String path : paths) {
			Page page = NGINX.get(host, path);
			assertThat(page.status()).as(path).isIn(403, 404);
			assertThat(page.body()).as(path)
				.doesNotContain("fake-password")
				.doesNotContain("<?php")
				.doesNotContain("secret-project")
				.doesNotContain("front controller")
				.doesNotContain("private invoice");
		}
	}

	/** A site of the platform with what a hostile tenant would leave in it. */
	private String site(String name) throws IOException {
		String uri = name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
		String site = "sites/" + uri + "/";
		write(site + "settings.php", settings(uri));
		write(site + "settings.local.php", settings(uri + "-local"));
		write(site + "services.yml", "parameters: { fake-password: yml }\n");
		write(site + "private/invoice.txt", "a private invoice\n");
		write(site + "files/report.txt", "a public file\n");
		write(site + "files/evil.php", trap(uri + "-evil.php"));
		write(site + "files/evil.PHP", trap(uri + "-evil.PHP"));
		write(site + "files/evil.phtml", trap(uri + "-evil.phtml"));
		write(site + "files/avatar.jpg", trap(uri + "-avatar.jpg"));
		write(site + "files/.htaccess", "# <?php fake-password\n");
		write("sites/default/settings.php.bak", settings("default-bak"));
		write(site + "settings.php~", settings(uri + "-backup"));
		write(site + "settings.php-2024", settings(uri + "-2024"));
		write(site + "files/settings.php.backup", settings(uri + "-files-backup"));
		write(site + "files/db.sql.gz", "fake-password in a dump\n");
		Files.createSymbolicLink(platform.resolve(site + "files/innocent.txt"), Path.of("../settings.php"));
		return uri;
	}

	/** A settings.php with a database password, which leaves a trace if it ever runs. */
	private static String settings(String name) {
		return "<?php\n$databases['default']['default']['password'] = 'fake-password-" + name + "';\n"
				+ trap(name + "-settings.php").substring(6);
	}

	private static String trap(String name) {
		return "<?php\nfile_put_contents('" + RAN.resolve(name) + "', 'ran');\necho 'ran " + name + "';\n";
	}

	private void write(String path, String content) throws IOException {
		Path file = platform.resolve(path);
		Files.createDirectories(file.getParent());
		Files.writeString(file, content);
	}

	/** Enables (writes) the site's vhost and waits until nginx serves it from PHP-FPM. */
	private void enable(String uri) {
		assertThatOperation(run("aegir.EnableDrupalSite", uri)).isSucceeded();
		await("nginx runs the front controller of " + uri).atMost(RUN)
			.until(() -> NGINX.get(uri, "/").body().startsWith("front controller: 42"));
	}

	private JsonNode run(String task, String uri) {
		return api.finished(api.submit(vhost(task, uri)), RUN);
	}

	private Submission vhost(String task, String uri) {
		return Submission.aSubmission()
			.type("site.vhost")
			.target("site-" + uri)
			.task(task, Map.of("site_uri", uri, "site_root", platform.toString()));
	}

}
