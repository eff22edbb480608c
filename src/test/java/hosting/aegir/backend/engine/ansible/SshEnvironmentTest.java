package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What each run's environment says to ansible's ssh connection about host keys; the real
 * check is {@link SshSiteRunnerEndToEndTest}'s.
 */
class SshEnvironmentTest {

	@Test
	void checkingIsOnByDefaultAndStrictAgainstTheOperatorsFileWithoutMultiplexing() {
		assertThat(SshEnvironment.environment(properties(true, Path.of("/etc/aegir/known_hosts"))))
			.containsEntry("ANSIBLE_HOST_KEY_CHECKING", "True")
			.containsEntry("ANSIBLE_SSH_COMMON_ARGS",
					"-o ControlPath=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/aegir/known_hosts");
		assertThat(SshEnvironment.environment(properties(true, null))).containsEntry("ANSIBLE_SSH_COMMON_ARGS",
				"-o ControlPath=none -o StrictHostKeyChecking=yes");
	}

	@Test
	void checkingTurnedOffIsSaidAndMultiplexingStaysOff() {
		assertThat(SshEnvironment.environment(properties(false, null)))
			.containsEntry("ANSIBLE_HOST_KEY_CHECKING", "False")
			.containsEntry("ANSIBLE_SSH_COMMON_ARGS", "-o ControlPath=none");
	}

	@Test
	void aKnownHostsPathSshWouldSplitOrExpandIsRefused() {
		for (String path : List.of("/etc/aegir/known hosts", "/etc/%h", "~/.ssh/known_hosts", "known_hosts", "/etc/a'b",
				"/etc/a\"b", "/etc/a\nb")) {
			assertThatIllegalArgumentException().as(path)
				.isThrownBy(() -> properties(true, Path.of(path)))
				.withMessageContaining("aegir.ansible.known-hosts-file");
		}
	}

	private static AnsibleProperties properties(boolean checking, Path knownHosts) {
		return new AnsibleProperties(true, Path.of("ansible"), Path.of("ansible/inventory/hosts.yml"),
				List.of("ansible-playbook"), Path.of("/tmp"), Duration.ofSeconds(5), checking, knownHosts);
	}

}
