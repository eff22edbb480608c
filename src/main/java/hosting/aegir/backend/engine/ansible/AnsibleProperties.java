package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the Ansible engine runs playbooks.
 *
 * @param enabled whether this replica offers the {@code ansible} engine (and its catalog)
 * @param directory the {@code ansible/} folder: ansible.cfg, roles, callback plugins
 * @param inventory the inventory every run uses
 * @param playbookCommand the command that runs a playbook, as an argument list
 * @param workDirectory where each run gets its private temporary directory (default: the
 * JVM's temporary directory)
 * @param killGrace after SIGTERM to a cancelled run's process group, how long before
 * SIGKILL
 * @param hostKeyChecking whether SSH connections check the managed host's key (on by
 * default; turning it off lets whoever answers on a host's address receive the service's
 * root or sudo login)
 * @param knownHostsFile the known-hosts file SSH checks host keys against, instead of the
 * service user's {@code ~/.ssh/known_hosts} (absolute; no whitespace, quotes or
 * {@code %})
 */
@ConfigurationProperties("aegir.ansible")
public record AnsibleProperties(@DefaultValue("true") boolean enabled, @DefaultValue("ansible") Path directory,
		@DefaultValue("ansible/inventory/hosts.yml") Path inventory,
		@DefaultValue("ansible-playbook") List<String> playbookCommand, Path workDirectory,
		@DefaultValue("5s") Duration killGrace, @DefaultValue("true") boolean hostKeyChecking, Path knownHostsFile) {

	public AnsibleProperties {
		if (workDirectory == null) {
			workDirectory = Path.of(System.getProperty("java.io.tmpdir"));
		}
		SshEnvironment.check(knownHostsFile);
	}

	public Path config() {
		return directory.resolve("ansible.cfg").toAbsolutePath();
	}

	public Path roles() {
		return directory.resolve("roles").toAbsolutePath();
	}

}
