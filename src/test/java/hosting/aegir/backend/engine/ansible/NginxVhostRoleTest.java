package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.AfterEach;
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
 * aegir.WriteNginxVhost and aegir.DeleteNginxVhost against a real nginx (Debian's
 * nginx-light), started by the test on loopback ports with a prefix of its own.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.ansible.enabled=true")
class NginxVhostRoleTest {

	// One nginx prefix for the class: the operator's inventory names its directories and
	// commands.
	static final Path prefix;

	static final Path conf;

	static final int sitePort;

	static final OperatorInventory OPERATOR = OperatorInventory.create();

	static {
		try {
			// World-readable, so nginx's unprivileged workers can serve from it.
			prefix = Files.createTempDirectory("aegir-nginx-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			Files.createDirectories(prefix.resolve("sites"));
			Files.createDirectories(prefix.resolve("tmp"));
			Files.createDirectories(prefix.resolve("www"));
			Files.createDirectories(prefix.resolve("tls"));
			Files.writeString(prefix.resolve("www/index.html"), "served by the aegir vhost\n");
			sitePort = freePort();
			conf = prefix.resolve("nginx.conf");
			Files.writeString(conf, """
					pid %1$s/nginx.pid;
					error_log %1$s/error.log;
					events { worker_connections 64; }
					http {
					    access_log off;
					    client_body_temp_path %1$s/tmp/body;
					    proxy_temp_path %1$s/tmp/proxy;
					    fastcgi_temp_path %1$s/tmp/fastcgi;
					    uwsgi_temp_path %1$s/tmp/uwsgi;
					    scgi_temp_path %1$s/tmp/scgi;
					    server { listen 127.0.0.1:%2$d default_server; return 404; }
					    include %1$s/sites/*.conf;
					}
					""".formatted(prefix, sitePort));
			OPERATOR.set("platforms_root", prefix.toString())
				.set("nginx_vhost_dir", prefix.resolve("sites").toString())
				.set("tls_root", prefix.resolve("tls").toString())
				.set("listen_address", "127.0.0.1")
				.set("listen_port", sitePort)
				.set("nginx_test_command", with(nginx(), "-t", "-q"))
				.set("nginx_reload_command", with(nginx(), "-s", "reload"));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	ApiClient api;

	@BeforeEach
	void startNginx() throws Exception {
		api = new ApiClient(port);
		run(nginx());
	}

	@AfterEach
	void stopNginx() throws Exception {
		long pid = Long.parseLong(Files.readString(prefix.resolve("nginx.pid")).trim());
		List<String> quit = new java.util.ArrayList<>(nginx());
		quit.addAll(List.of("-s", "quit"));
		run(quit);
		// The next test starts an nginx on the same prefix and port: this one must be
		// gone first.
		await("nginx has quit").atMost(Duration.ofSeconds(30))
			.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
	}

	@Test
	void writesAVhostThatServesTheSiteAndReloadsOnlyWhenItChanged() throws Exception {
		String site = "vhost-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
		Map<String, Object> vars = Map.of("site_uri", site, "site_root", prefix.resolve("www").toString());

		JsonNode first = run("aegir.WriteNginxVhost", vars);
		assertThat(first.get("status").asString()).as(first.toString()).isEqualTo("SUCCEEDED");
		assertThat(events(first).valueStream().map(e -> e.get("task").asString())).contains("Reload nginx");
		await("nginx serves the new vhost").atMost(Duration.ofSeconds(10))
			.until(() -> get(site, "/index.html").statusCode() == 200);
		assertThat(get(site, "/index.html").body()).isEqualTo("served by the aegir vhost\n");
		assertThat(get("other.example", "/index.html").statusCode()).isEqualTo(404);

		JsonNode second = run("aegir.WriteNginxVhost", vars);
		assertThat(second.get("status").asString()).isEqualTo("SUCCEEDED");
		assertThat(second.get("tasks").get(0).get("changed").asInt()).isZero();
		assertThat(events(second).valueStream().map(e -> e.get("task").asString())).doesNotContain("Reload nginx");

		JsonNode deleted = run("aegir.DeleteNginxVhost", Map.of("site_uri", site));
		assertThat(deleted.get("status").asString()).isEqualTo("SUCCEEDED");
		await("nginx no longer serves the vhost").atMost(Duration.ofSeconds(10))
			.until(() -> get(site, "/index.html").statusCode() == 404);
		assertThat(prefix.resolve("sites/" + site + ".conf")).doesNotExist();
	}

	@Test
	void aVhostNginxRejectsIsRolledBackAndFails() {
		String site = "broken-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
		// A certificate that does not exist (inside the TLS root) makes nginx -t fail.
		JsonNode op = run("aegir.WriteNginxVhost",
				Map.of("site_uri", site, "site_root", prefix.resolve("www").toString(), "tls_certificate",
						prefix.resolve("tls/missing-cert.pem").toString(), "tls_certificate_key",
						prefix.resolve("tls/missing-key.pem").toString()));
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("nginx rejected the vhost of " + site);
		assertThat(prefix.resolve("sites/" + site + ".conf")).doesNotExist();
	}

	@Test
	void hostileServerNamesNeverReachTheConfiguration() {
		JsonNode op = run("aegir.WriteNginxVhost",
				Map.of("site_uri", "evil.example; include /etc/passwd", "site_root", prefix.resolve("www").toString()));
		assertThat(op.get("status").asString()).isEqualTo("FAILED");
		assertThat(op.get("reason").asString()).contains("Check the inputs");
		try (var files = Files.list(prefix.resolve("sites"))) {
			assertThat(files).isEmpty();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private JsonNode run(String task, Map<String, Object> vars) {
		var response = api.post("/api/v1/operations", SUBMITTER,
				api.write(Map.of("type", "site.vhost", "engine", "ansible", "target", "vhost-" + UUID.randomUUID(),
						"hosts", "localhost", "tasks", List.of(Map.of("name", task, "vars", vars)))));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		String id = api.json(response).get("id").asString();
		await(id + " finishes").atMost(Duration.ofSeconds(90))
			.until(() -> List.of("SUCCEEDED", "FAILED")
				.contains(api.json(api.get("/api/v1/operations/" + id, VIEWER)).get("status").asString()));
		return api.json(api.get("/api/v1/operations/" + id, VIEWER));
	}

	private JsonNode events(JsonNode op) {
		return api.json(api.get("/api/v1/operations/" + op.get("id").asString() + "/events", VIEWER)).get("events");
	}

	/**
	 * A plain HTTP/1.0 request with the given Host header, as a browser of that site
	 * would send.
	 */
	private Page get(String host, String path) {
		try (java.net.Socket socket = new java.net.Socket("127.0.0.1", sitePort)) {
			socket.setSoTimeout(5_000);
			socket.getOutputStream()
				.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
					.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
			String response = new String(socket.getInputStream().readAllBytes(),
					java.nio.charset.StandardCharsets.UTF_8);
			int status = Integer.parseInt(response.substring(9, 12));
			int bodyAt = response.indexOf("\r\n\r\n");
			return new Page(status, bodyAt < 0 ? "" : response.substring(bodyAt + 4));
		}
		catch (IOException ex) {
			return new Page(-1, ex.getMessage());
		}
	}

	private record Page(int statusCode, String body) {
	}

	private static List<String> nginx() {
		return List.of("nginx", "-p", prefix.toString(), "-c", conf.toString(), "-e",
				prefix.resolve("error.log").toString());
	}

	private static List<String> with(List<String> base, String... more) {
		List<String> all = new java.util.ArrayList<>(base);
		all.addAll(List.of(more));
		return all;
	}

	private static void run(List<String> command) throws Exception {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		if (!process.waitFor(20, TimeUnit.SECONDS) || process.exitValue() != 0) {
			throw new IllegalStateException(
					command + " failed: " + new String(process.getInputStream().readAllBytes()));
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
