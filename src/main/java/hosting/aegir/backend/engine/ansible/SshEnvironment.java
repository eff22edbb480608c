package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code ANSIBLE_*} environment entries that make each run's SSH connections check
 * host keys: {@code ANSIBLE_HOST_KEY_CHECKING} from
 * {@code aegir.ansible.host-key-checking}, and {@code ANSIBLE_SSH_COMMON_ARGS} with
 * {@code StrictHostKeyChecking=yes} (an unknown key fails instead of waiting for an
 * answer nobody gives) and the operator's {@code UserKnownHostsFile}. ssh takes the first
 * value it is given for an option, and ansible puts these after {@code ssh_args} of
 * {@code ansible.cfg}, which sets neither. An inventory's own
 * {@code ansible_ssh_common_args} replaces these (a variable outranks the environment).
 */
final class SshEnvironment {

	// ssh splits UserKnownHostsFile on whitespace and expands % and ~; ansible splits the
	// arguments with shlex. A path without any of those reaches ssh as it is.
	private static final Pattern PLAIN_PATH = Pattern.compile("/[A-Za-z0-9._+,@=/-]*");

	private SshEnvironment() {
	}

	/** Refuses a known-hosts path ssh or ansible would not take as it is. */
	static void check(Path knownHostsFile) {
		if (knownHostsFile != null && !PLAIN_PATH.matcher(knownHostsFile.toString()).matches()) {
			throw new IllegalArgumentException("aegir.ansible.known-hosts-file must be an absolute path of letters, "
					+ "digits and . _ + , @ = / - only (no whitespace, quotes, % or ~): " + knownHostsFile);
		}
	}

	/** The entries to put into the run's environment. */
	static Map<String, String> environment(AnsibleProperties properties) {
		Map<String, String> env = new LinkedHashMap<>();
		env.put("ANSIBLE_HOST_KEY_CHECKING", properties.hostKeyChecking() ? "True" : "False");
		StringBuilder args = new StringBuilder("-o ControlPath=none");
		if (properties.hostKeyChecking()) {
			args.append(" -o StrictHostKeyChecking=yes");
		}
		if (properties.knownHostsFile() != null) {
			args.append(" -o UserKnownHostsFile=").append(properties.knownHostsFile());
		}
		env.put("ANSIBLE_SSH_COMMON_ARGS", args.toString());
		return env;
	}

}
