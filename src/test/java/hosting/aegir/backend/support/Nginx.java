package hosting.aegir.backend.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real nginx (Debian's nginx-light) on a loopback port with a prefix of its own, whose
 * default server answers 404 and which includes the vhosts the roles write into
 * {@link #vhosts()}. Point an {@link OperatorInventory} at it with
 * {@link #configure(OperatorInventory)}.
 */
public final class Nginx {

	private final Path prefix;

	private final Path conf;

	private final int port;

	private Nginx(Path prefix, Path conf, int port) {
		this.prefix = prefix;
		this.conf = conf;
		this.port = port;
	}

	/** A prefix and a configuration on a free port; not started. */
	public static Nginx create() {
		try {
			// World-readable, so nginx's unprivileged workers can read what it includes.
			Path prefix = Files.createTempDirectory("aegir-nginx-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			Files.createDirectories(prefix.resolve("sites"));
			Files.createDirectories(prefix.resolve("tmp"));
			int port;
			try (ServerSocket socket = new ServerSocket(0)) {
				port = socket.getLocalPort();
			}
			Path conf = Files.writeString(prefix.resolve("nginx.conf"), """
					pid %1$s/nginx.pid;
					error_log %1$s/error.log;
					events { worker_connections 64; }
					http {
					    access_log off;
					    # Off, as an operator may have it: no vhost may rely on "//" being merged.
					    merge_slashes off;
					    client_body_temp_path %1$s/tmp/body;
					    proxy_temp_path %1$s/tmp/proxy;
					    fastcgi_temp_path %1$s/tmp/fastcgi;
					    uwsgi_temp_path %1$s/tmp/uwsgi;
					    scgi_temp_path %1$s/tmp/scgi;
					    server { listen 127.0.0.1:%2$d default_server; return 404; }
					    include %1$s/sites/*.conf;
					}
					""".formatted(prefix, port));
			return new Nginx(prefix, conf, port);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * The operator's nginx settings for this nginx: its vhost directory, address, port
	 * and commands.
	 */
	public OperatorInventory configure(OperatorInventory inventory) {
		return inventory.set("nginx_vhost_dir", vhosts().toString())
			.set("listen_address", "127.0.0.1")
			.set("listen_port", port)
			.set("nginx_test_command", command("-t", "-q"))
			.set("nginx_reload_command", command("-s", "reload"));
	}

	public Path vhosts() {
		return prefix.resolve("sites");
	}

	public void start() {
		run(command());
	}

	/**
	 * Stops it and waits until it is gone, so that another can start on the same prefix
	 * and port.
	 */
	public void stop() {
		try {
			long pid = Long.parseLong(Files.readString(prefix.resolve("nginx.pid")).trim());
			run(command("-s", "quit"));
			await("nginx has quit").atMost(Duration.ofSeconds(30))
				.until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * A plain HTTP/1.0 request with the given Host header, as a browser of that site
	 * would send; the path goes out as it is (dot segments and %-escapes included) and
	 * further header lines ("Name: value") after the Host.
	 */
	public Page get(String host, String path, String... headers) {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			socket.setSoTimeout(5_000);
			StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n");
			for (String header : headers) {
				request.append(header).append("\r\n");
			}
			socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
			String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			int bodyAt = response.indexOf("\r\n\r\n");
			String head = bodyAt < 0 ? response : response.substring(0, bodyAt);
			String location = head.lines()
				.filter(line -> line.regionMatches(true, 0, "Location:", 0, 9))
				.map(line -> line.substring(9).strip())
				.findFirst()
				.orElse(null);
			return new Page(Integer.parseInt(response.substring(9, 12)), location,
					bodyAt < 0 ? "" : response.substring(bodyAt + 4));
		}
		catch (IOException ex) {
			return new Page(-1, null, String.valueOf(ex.getMessage()));
		}
	}

	/** What nginx answered: status, Location header (or null) and body. */
	public record Page(int status, String location, String body) {
	}

	private List<String> command(String... more) {
		List<String> command = new ArrayList<>(List.of("nginx", "-p", prefix.toString(), "-c", conf.toString(), "-e",
				prefix.resolve("error.log").toString()));
		command.addAll(List.of(more));
		return command;
	}

	private static void run(List<String> command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			if (!process.waitFor(20, TimeUnit.SECONDS) || process.exitValue() != 0) {
				throw new IllegalStateException(
						command + " failed: " + new String(process.getInputStream().readAllBytes()));
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
