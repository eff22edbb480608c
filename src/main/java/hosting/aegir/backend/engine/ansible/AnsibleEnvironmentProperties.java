package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What the processes the Ansible engine starts get of the service's environment, beyond
 * the fixed minimum ({@code PATH}, {@code HOME}, locale, {@code TZ}, {@code TMPDIR}) and
 * the engine's own {@code ANSIBLE_*} settings: nothing else of the service's environment
 * (its database password, tokens, webhook secret) reaches a playbook.
 *
 * @param allow names of further variables handed on from the service's environment when
 * it has them (exact names, e.g. {@code http_proxy}); names the service reads its own
 * configuration from ({@code SPRING_*}, {@code AEGIR_*}, {@code JAVA_*}) are refused at
 * startup
 * @param sshAuthSock the ssh-agent socket ansible's SSH connections use, handed on as
 * {@code SSH_AUTH_SOCK}; unset: no agent (an operator whose agent socket is in the
 * service's own environment may write {@code ${SSH_AUTH_SOCK}})
 */
@ConfigurationProperties("aegir.ansible.environment")
record AnsibleEnvironmentProperties(@DefaultValue List<String> allow, Path sshAuthSock) {

	private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

	// Where Spring Boot and the JVM read the service's own settings from: the very values
	// a playbook must not see.
	private static final Pattern SERVICE_OWN = Pattern.compile("(?i)(SPRING|AEGIR|JAVA|JDK_JAVA|_JAVA)_.*");

	AnsibleEnvironmentProperties {
		for (String name : allow) {
			if (name == null || !NAME.matcher(name).matches()) {
				throw new IllegalArgumentException(
						"aegir.ansible.environment.allow: '" + name + "' is not an environment variable name");
			}
			if (SERVICE_OWN.matcher(name).matches()) {
				throw new IllegalArgumentException("aegir.ansible.environment.allow: " + name
						+ " may hold the service's own configuration and is never handed to a playbook");
			}
		}
		allow = List.copyOf(allow);
	}

}
