package hosting.aegir.backend.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Debian's real OpenSSH server for a test: {@code /usr/sbin/sshd -D} on a free port of
 * 127.0.0.1 with a configuration, host key and client key of its own, letting in only
 * {@link #USER} (a sudoer without password, created by {@code .ci/run}) with that key. It
 * writes a known-hosts file holding its host key, so the client checks it. Must run as
 * root (sshd switches to the user for the session).
 */
public final class Sshd implements AutoCloseable {

	/** The login user: a non-root account that becomes root through sudo. */
	public static final String USER = "aegir-ssh";

	private final Path dir;

	private final int port;

	private final Process process;

	private Sshd(Path dir, int port, Process process) {
		this.dir = dir;
		this.port = port;
		this.process = process;
	}

	/** Starts a server and waits until it accepts connections. */
	public static Sshd start() {
		try {
			// Readable by the login user: sshd reads authorized_keys as that user.
			Path dir = Files.createTempDirectory("aegir-sshd-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			keygen(dir.resolve("host_key"));
			keygen(dir.resolve("client_key"));
			Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
			Files.setPosixFilePermissions(dir.resolve("authorized_keys"), PosixFilePermissions.fromString("rw-r--r--"));
			int port;
			try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
				port = socket.getLocalPort();
			}
			Files.writeString(dir.resolve("sshd_config"), """
					ListenAddress 127.0.0.1
					HostKey %1$s/host_key
					PidFile %1$s/sshd.pid
					AuthorizedKeysFile %1$s/authorized_keys
					AllowUsers %2$s
					PermitRootLogin no
					PubkeyAuthentication yes
					PasswordAuthentication no
					KbdInteractiveAuthentication no
					UsePAM no
					# The key files live under /tmp (mode 1777), which strict modes refuse.
					StrictModes no
					Subsystem sftp internal-sftp
					LogLevel VERBOSE
					""".formatted(dir, USER));
			// Privilege separation needs its empty directory (created by the service unit
			// where sshd is a service).
			Files.createDirectories(Path.of("/run/sshd"));
			Process process = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f",
					dir.resolve("sshd_config").toString(), "-p", Integer.toString(port))
				.redirectErrorStream(true)
				.redirectOutput(dir.resolve("sshd.log").toFile())
				.start();
			// A test class that fails to initialise never reaches its close(): the server
			// must not outlive the JVM.
			Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
			Sshd sshd = new Sshd(dir, port, process);
			await("sshd listens on 127.0.0.1:" + port).atMost(Duration.ofSeconds(20)).until(() -> {
				if (!process.isAlive()) {
					throw new IllegalStateException("sshd exited: " + Files.readString(dir.resolve("sshd.log")));
				}
				try (Socket socket = new Socket()) {
					socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
					return true;
				}
				catch (IOException ex) {
					return false;
				}
			});
			sshd.trustHostKey();
			return sshd;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void keygen(Path file) throws IOException {
		run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aegir-test", "-f", file.toString()));
	}

	private static void run(List<String> command) throws IOException {
		try {
			Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
			String output = new String(p.getInputStream().readAllBytes());
			if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
				throw new IllegalStateException(command + " failed: " + output);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Writes the server's real host key into {@link #knownHosts()}. */
	public void trustHostKey() {
		knownHostsEntry(dir.resolve("host_key.pub"));
	}

	/**
	 * Writes another key, made now, into {@link #knownHosts()} as the server's: what a
	 * client sees when someone else answers on the host's address.
	 */
	public void trustAnotherKey() {
		try {
			Path other = dir.resolve("other_key");
			Files.deleteIfExists(other);
			Files.deleteIfExists(dir.resolve("other_key.pub"));
			keygen(other);
			knownHostsEntry(dir.resolve("other_key.pub"));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private void knownHostsEntry(Path publicKey) {
		try {
			String[] key = Files.readString(publicKey).trim().split(" ");
			Files.writeString(knownHosts(), "[127.0.0.1]:" + port + " " + key[0] + " " + key[1] + "\n");
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** The known-hosts file a client checks this server's key against. */
	public Path knownHosts() {
		return dir.resolve("known_hosts");
	}

	public int port() {
		return port;
	}

	/**
	 * The inventory variables of a host reached through this server: 127.0.0.1 on its
	 * port, as {@link #USER} with the run's key, root through sudo.
	 */
	public Map<String, Object> hostVars() {
		Map<String, Object> vars = new LinkedHashMap<>();
		vars.put("ansible_connection", "ssh");
		vars.put("ansible_host", "127.0.0.1");
		vars.put("ansible_port", port);
		vars.put("ansible_user", USER);
		vars.put("ansible_ssh_private_key_file", dir.resolve("client_key").toString());
		vars.put("ansible_become", true);
		vars.put("ansible_become_method", "sudo");
		vars.put("ansible_python_interpreter", "/usr/bin/python3");
		return vars;
	}

	/** What sshd logged so far (for a failing test's message). */
	public String log() {
		try {
			return Files.readString(dir.resolve("sshd.log"));
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	@Override
	public void close() {
		process.destroy();
		try {
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
