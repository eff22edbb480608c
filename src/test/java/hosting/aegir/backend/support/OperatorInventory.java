package hosting.aegir.backend.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * An operator's inventory for a test, the way a deployment writes one: localhost, and the
 * operator settings of the roles in {@code group_vars/all.yml} (JSON is YAML). Tests
 * point {@code aegir.ansible.inventory} at {@link #hostsFile()}. Its directory also holds
 * the fake drush (a dispatcher running whatever {@link #drush(String)} last wrote) and
 * the operator's roots. drush runs as {@link #DRUSH_USER} (a system user in www-data that
 * {@code .ci/run} creates): the inventory directory and the platforms are handed to it.
 */
public final class OperatorInventory {

	/** The operator's drush_user in every test inventory: never root. */
	public static final String DRUSH_USER = "aegir-drush";

	private final Path dir;

	private final Map<String, Object> groupVars = new LinkedHashMap<>();

	private final Map<String, Object> extraHosts = new LinkedHashMap<>();

	private OperatorInventory(Path dir) {
		this.dir = dir;
	}

	/**
	 * A new inventory in a fresh directory, with roots for platforms, backups, vhosts and
	 * TLS, and a fake drush.
	 */
	public static OperatorInventory create() {
		try {
			Path dir = Files.createTempDirectory("aegir-inventory-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
			OperatorInventory inventory = new OperatorInventory(dir);
			for (String root : new String[] { "platforms", "backups", "vhosts", "tls" }) {
				Files.createDirectories(dir.resolve(root));
			}
			Scripts.write(dir, "drush", "exec \"$(dirname \"$0\")/drush-now\" \"$@\"\n");
			inventory.drush("echo 'no drush behaviour set'; exit 1\n");
			inventory.set("drush", dir.resolve("drush").toString())
				.set("platforms_root", inventory.platforms().toString())
				.set("backup_root", inventory.backups().toString())
				.set("nginx_vhost_dir", inventory.vhosts().toString())
				.set("tls_root", dir.resolve("tls").toString())
				.set("nginx_test_command", java.util.List.of("true"))
				.set("nginx_reload_command", java.util.List.of("true"))
				.set("drush_user", DRUSH_USER)
				// The roles install their site runner here rather than on the machine's
				// own
				// path, so that tests of other checkouts on one machine never swap it.
				.set("aegir_site_runner_path", dir.resolve("runner/site-run").toString());
			Files.writeString(dir.resolve("hosts.yml"), """
					all:
					  hosts:
					    localhost:
					      ansible_connection: local
					      ansible_python_interpreter: "{{ ansible_playbook_python }}"
					  children:
					    webservers:
					      hosts:
					        localhost:
					""");
			// drush (a script here) writes what tests read back into this directory, and
			// sites
			// into the platforms, as the drush user.
			inventory.giveToDrushUser(dir);
			return inventory;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Sets an operator setting for every host (group_vars/all.yml) and writes the file.
	 */
	public OperatorInventory set(String name, Object value) {
		groupVars.put(name, value);
		try {
			Files.createDirectories(dir.resolve("group_vars"));
			Files.writeString(dir.resolve("group_vars/all.yml"),
					JsonMapper.builder().build().writeValueAsString(groupVars));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return this;
	}

	/**
	 * Adds a host to the inventory with its connection variables (e.g.
	 * {@link Sshd#hostVars()}), beside localhost.
	 */
	public OperatorInventory host(String name, Map<String, Object> vars) {
		Map<String, Object> hosts = new LinkedHashMap<>();
		hosts.put("localhost",
				Map.of("ansible_connection", "local", "ansible_python_interpreter", "{{ ansible_playbook_python }}"));
		hosts.putAll(extraHosts);
		hosts.put(name, vars);
		extraHosts.put(name, vars);
		try {
			Files.writeString(hostsFile(),
					JsonMapper.builder()
						.build()
						.writeValueAsString(Map.of("all", Map.of("hosts", hosts, "children",
								Map.of("webservers", Map.of("hosts", Map.of("localhost", Map.of())))))));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return this;
	}

	/** What the fake drush does from now on (a shell script body). */
	public OperatorInventory drush(String body) {
		Scripts.write(dir, "drush-now", body);
		return this;
	}

	/**
	 * From now on drush is the stand-in of {@code src/test/resources/drush/standin.sh},
	 * which does the real work (mysqldump, archives, SQL) on the local MariaDB; see
	 * {@link MariaDb}.
	 */
	public OperatorInventory realDrush() {
		try (var in = OperatorInventory.class.getResourceAsStream("/drush/standin.sh")) {
			Path script = dir.resolve("drush-standin.sh");
			Files.write(script, in.readAllBytes());
			// The database the stand-in works on, as the roles' database administrator
			// reaches it.
			set("db_admin_command", java.util.List.of("mysql", "-h", "127.0.0.1", "-P", "3306", "-u", "root"));
			set("db_host", "127.0.0.1:3306");
			return drush("exec bash " + script + " \"$@\"\n");
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Hands paths (recursively) to the drush user, group www-data, as an operator makes
	 * platforms writable by it: what a test wrote as root there is the site's from now
	 * on.
	 */
	public OperatorInventory giveToDrushUser(Path... paths) {
		for (Path path : paths) {
			run("chown", "-R", DRUSH_USER + ":www-data", path.toString());
		}
		return this;
	}

	/** Hands the platforms (everything a test wrote there so far) to the drush user. */
	public OperatorInventory givePlatformsToDrushUser() {
		return giveToDrushUser(platforms());
	}

	/**
	 * The calls the drush stand-in recorded, one "{@code <command> <uid>}" a line, the
	 * uid read from /proc/self/status of the drush process itself.
	 */
	public java.util.List<String> drushCalls() {
		try {
			Path log = dir.resolve("drush-calls.log");
			return Files.exists(log) ? Files.readAllLines(log) : java.util.List.of();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void run(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			String output = new String(process.getInputStream().readAllBytes());
			if (process.waitFor() != 0) {
				throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
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

	public Path hostsFile() {
		return dir.resolve("hosts.yml");
	}

	public Path dir() {
		return dir;
	}

	public Path platforms() {
		return dir.resolve("platforms");
	}

	public Path backups() {
		return dir.resolve("backups");
	}

	public Path vhosts() {
		return dir.resolve("vhosts");
	}

}
