package hosting.aegir.backend.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;

/**
 * A service instance in a JVM of its own, on the test database: the replica a test can
 * SIGTERM or kill -9. Its output goes to {@code target/<name>.log}.
 */
public final class ChildReplica implements AutoCloseable {

	private final Process process;

	private final int port;

	private ChildReplica(Process process, int port) {
		this.process = process;
		this.port = port;
	}

	/**
	 * Starts {@code mainClass} (ReplicaMain for the scripted engine) with these extra
	 * properties.
	 */
	public static ChildReplica start(Class<?> mainClass, String name, String schema, String... properties) {
		return start(mainClass, name, schema, Map.of(), properties);
	}

	/**
	 * Starts {@code mainClass} with these extra properties, its environment this JVM's
	 * plus {@code environment}.
	 */
	public static ChildReplica start(Class<?> mainClass, String name, String schema, Map<String, String> environment,
			String... properties) {
		TestDatabase db = TestDatabase.get();
		int port = freePort();
		List<String> command = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), mainClass.getName(), "--spring.datasource.url=" + db.url(),
				"--spring.datasource.username=" + db.username(), "--spring.datasource.password=" + db.password(),
				"--aegir.database.schema=" + schema, "--server.port=" + port, "--spring.profiles.active=test"));
		for (String property : properties) {
			command.add("--" + property);
		}
		try {
			ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(new File("target/" + name + ".log"));
			builder.environment().putAll(environment);
			Process process = builder.start();
			ChildReplica child = new ChildReplica(process, port);
			ApiClient api = child.api();
			Awaitility.await(name + " serves").atMost(Duration.ofSeconds(90)).until(() -> {
				if (!process.isAlive()) {
					throw new IllegalStateException(name + " exited; see target/" + name + ".log");
				}
				return serves(api);
			});
			return child;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public ApiClient api() {
		return new ApiClient(port);
	}

	public long pid() {
		return process.pid();
	}

	public Process process() {
		return process;
	}

	/** SIGTERM, as a deployment stops a replica. */
	public void terminate() {
		process.destroy();
	}

	/** SIGKILL; returns once the process is gone. */
	public void kill() {
		process.destroyForcibly();
		try {
			process.waitFor();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		kill();
	}

	/**
	 * Whether the service behind this client answers its health probe (false while it is
	 * starting or gone).
	 */
	public static boolean serves(ApiClient api) {
		try {
			return api.get("/actuator/health", null).statusCode() == 200;
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/** A loopback port nothing listens on now, for a replica to take. */
	public static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** The java executable of this JVM, to start replicas like it. */
	public static String javaBin() {
		return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
	}

}
