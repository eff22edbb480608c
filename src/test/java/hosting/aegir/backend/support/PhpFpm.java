package hosting.aegir.backend.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real PHP-FPM (Debian's php8.2-fpm) with a configuration of its own in a temporary
 * directory: one pool on its own socket, running as the test's user, in the foreground so
 * the test owns it. Point an {@link OperatorInventory} at it with
 * {@link #configure(OperatorInventory)}.
 */
public final class PhpFpm {

	private static final Path BINARY = Path.of("/usr/sbin/php-fpm8.2");

	private final Path dir;

	private Process process;

	private PhpFpm(Path dir) {
		this.dir = dir;
	}

	/** A configuration in a fresh directory; not started. */
	public static PhpFpm create() {
		try {
			// Traversable by nginx's unprivileged workers, which connect to the socket.
			Path dir = Files.createTempDirectory("aegir-php-fpm-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			Files.writeString(dir.resolve("php-fpm.conf"), """
					[global]
					pid = %1$s/php-fpm.pid
					error_log = %1$s/error.log
					[site]
					; The pool runs as whoever runs the test; as root that needs -R (see start()).
					user = %2$s
					listen = %1$s/php-fpm.sock
					; nginx's workers run as another user.
					listen.mode = 0666
					pm = static
					pm.max_children = 2
					catch_workers_output = yes
					""".formatted(dir, System.getProperty("user.name")));
			return new PhpFpm(dir);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** The operator's setting for this pool: nginx's fastcgi_pass target. */
	public OperatorInventory configure(OperatorInventory inventory) {
		return inventory.set("php_fastcgi_pass", fastcgiPass());
	}

	public String fastcgiPass() {
		return "unix:" + socket();
	}

	/** Starts it and waits until its socket is there. */
	public void start() {
		List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--nodaemonize", "--fpm-config",
				dir.resolve("php-fpm.conf").toString(), "--prefix", dir.toString()));
		if ("root".equals(System.getProperty("user.name"))) {
			// A pool running as root must be asked for explicitly; only tests ever do.
			command.add("--allow-to-run-as-root");
		}
		try {
			process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(dir.resolve("output.log").toFile())
				.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		await("PHP-FPM listens on " + socket()).atMost(Duration.ofSeconds(30)).until(() -> {
			if (!process.isAlive()) {
				throw new IllegalStateException("PHP-FPM exited: " + Files.readString(dir.resolve("output.log")));
			}
			return Files.exists(socket());
		});
	}

	/** Stops it, workers included, and waits until they are gone. */
	public void stop() {
		if (process == null) {
			return;
		}
		List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
		all.add(process.toHandle());
		// SIGTERM: the master stops its workers and exits; what is left after a grace is
		// killed.
		process.destroy();
		try {
			process.waitFor(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
		await("PHP-FPM has stopped").atMost(Duration.ofSeconds(30))
			.until(() -> all.stream().noneMatch(ProcessHandle::isAlive));
		process = null;
	}

	private Path socket() {
		return dir.resolve("php-fpm.sock");
	}

}
