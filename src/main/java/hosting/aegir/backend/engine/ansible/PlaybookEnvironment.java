package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The environment of every process the Ansible engine starts (ansible-playbook,
 * ansible-inventory, the version probe), built from nothing instead of inherited: a
 * playbook's local tasks, and the site PHP they run, would otherwise read the service's
 * database password, tokens and webhook secret. It holds the fixed minimum taken from the
 * service ({@link #PASSED}), the operator's allow-list, the ssh-agent socket when
 * configured, and the engine's own {@code ANSIBLE_*} settings.
 */
@Component
class PlaybookEnvironment {

	/**
	 * Taken from the service's environment when it has them: where programs are, the home
	 * Ansible keeps its files in, locale, time zone, temporary directory. Never secrets.
	 */
	static final List<String> PASSED = List.of("PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_COLLATE",
			"LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "LC_MONETARY", "TZ", "TMPDIR");

	private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

	private final AnsibleProperties ansible;

	private final Map<String, String> base;

	@Autowired
	PlaybookEnvironment(AnsibleProperties ansible, AnsibleEnvironmentProperties properties) {
		this(ansible, properties, System.getenv());
	}

	PlaybookEnvironment(AnsibleProperties ansible, AnsibleEnvironmentProperties properties,
			Map<String, String> service) {
		this.ansible = ansible;
		Map<String, String> env = new LinkedHashMap<>();
		for (String name : PASSED) {
			if (service.get(name) != null) {
				env.put(name, service.get(name));
			}
		}
		env.putIfAbsent("PATH", DEFAULT_PATH);
		env.putIfAbsent("HOME", System.getProperty("user.home"));
		for (String name : properties.allow()) {
			if (service.get(name) != null) {
				env.put(name, service.get(name));
			}
		}
		if (properties.sshAuthSock() != null) {
			env.put("SSH_AUTH_SOCK", properties.sshAuthSock().toString());
		}
		this.base = Collections.unmodifiableMap(env);
	}

	/**
	 * ansible-playbook's environment for one run: its private directory for Ansible's
	 * local temporary files, and the token that marks the event callback's lines.
	 */
	Map<String, String> playbook(Path runDirectory, String eventToken) {
		Map<String, String> env = ansibleSettings();
		env.put("ANSIBLE_LOCAL_TEMP", runDirectory.resolve(".ansible-tmp").toString());
		env.put("PYTHONUNBUFFERED", "1");
		env.put("AEGIR_EVENT_TOKEN", eventToken);
		return env;
	}

	/** The environment of ansible-inventory and of the version probe. */
	Map<String, String> tool() {
		return ansibleSettings();
	}

	/**
	 * The base and the {@code ANSIBLE_*} settings every process of the engine gets; a
	 * feature that configures Ansible through its environment (host key checking, SSH
	 * arguments) adds its entries here, so the inventory read and the runs agree.
	 */
	private Map<String, String> ansibleSettings() {
		Map<String, String> env = new LinkedHashMap<>(base);
		env.put("ANSIBLE_CONFIG", ansible.config().toString());
		env.put("ANSIBLE_NOCOLOR", "1");
		env.putAll(SshEnvironment.environment(ansible));
		return env;
	}

	/** The builder, its inherited environment replaced by this one. */
	static ProcessBuilder applyTo(ProcessBuilder builder, Map<String, String> env) {
		Map<String, String> target = builder.environment();
		target.clear();
		target.putAll(env);
		return builder;
	}

}
