package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/** Readiness says why the Ansible engine cannot run. */
class AnsibleHealthIndicatorTest {

	@Test
	void upWithTheRealAnsiblePlaybook() {
		var health = indicator(List.of("ansible-playbook"), Path.of("ansible")).health();
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails().get("version").toString()).startsWith("ansible-playbook");
	}

	@Test
	void downWhenAnsiblePlaybookCannotRun() {
		var health = indicator(List.of("/nonexistent/ansible-playbook"), Path.of("ansible")).health();
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails().get("reason").toString()).startsWith("cannot run /nonexistent/ansible-playbook");
	}

	@Test
	void downWithoutTheAnsibleDirectory() {
		var health = indicator(List.of("ansible-playbook"), Path.of("/nonexistent")).health();
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails().get("reason").toString()).contains("no ansible.cfg");
	}

	private static AnsibleHealthIndicator indicator(List<String> command, Path directory) {
		AnsibleProperties properties = properties(command, directory);
		return new AnsibleHealthIndicator(properties,
				new PlaybookEnvironment(properties, new AnsibleEnvironmentProperties(List.of(), null)));
	}

	private static AnsibleProperties properties(List<String> command, Path directory) {
		return new AnsibleProperties(true, directory, directory.resolve("inventory/hosts.yml"), command, null,
				Duration.ofSeconds(5), true, null);
	}

}
