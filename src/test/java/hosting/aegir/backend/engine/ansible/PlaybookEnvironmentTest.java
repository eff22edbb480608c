package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The processes of the Ansible engine get a built environment: the fixed minimum, the
 * operator's allow-list, the agent socket when configured, the engine's settings; never
 * the service's own variables.
 */
class PlaybookEnvironmentTest {

	static final AnsibleProperties ANSIBLE = new AnsibleProperties(true, Path.of("ansible"),
			Path.of("ansible/inventory/hosts.yml"), List.of("ansible-playbook"), null, Duration.ofSeconds(5), true,
			null);

	static final Map<String, String> SERVICE = service();

	@Test
	void aRunGetsTheMinimumAndTheEngineSettingsAndNothingOfTheService() {
		PlaybookEnvironment environment = new PlaybookEnvironment(ANSIBLE,
				new AnsibleEnvironmentProperties(List.of(), null), SERVICE);

		Map<String, String> env = environment.playbook(Path.of("/tmp/aegir-run"), "0123abcd");

		assertThat(env).containsOnlyKeys("PATH", "HOME", "LANG", "LC_ALL", "TZ", "ANSIBLE_CONFIG", "ANSIBLE_NOCOLOR",
				"ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_SSH_COMMON_ARGS", "ANSIBLE_LOCAL_TEMP", "PYTHONUNBUFFERED",
				"AEGIR_EVENT_TOKEN");
		assertThat(env).containsEntry("PATH", "/opt/bin:/usr/bin")
			.containsEntry("HOME", "/var/lib/aegir")
			.containsEntry("LANG", "C.UTF-8")
			.containsEntry("ANSIBLE_CONFIG", ANSIBLE.config().toString())
			.containsEntry("ANSIBLE_LOCAL_TEMP", "/tmp/aegir-run/.ansible-tmp")
			.containsEntry("AEGIR_EVENT_TOKEN", "0123abcd");
		// The inventory read connects to nothing, but it gets the same SSH settings as
		// the runs.
		assertThat(environment.tool()).containsOnlyKeys("PATH", "HOME", "LANG", "LC_ALL", "TZ", "ANSIBLE_CONFIG",
				"ANSIBLE_NOCOLOR", "ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_SSH_COMMON_ARGS");
	}

	@Test
	void theOperatorsAllowListAndAgentSocketAreHandedOn() {
		PlaybookEnvironment environment = new PlaybookEnvironment(ANSIBLE,
				new AnsibleEnvironmentProperties(List.of("http_proxy", "NOT_SET_ANYWHERE"), Path.of("/run/agent.sock")),
				SERVICE);

		Map<String, String> env = environment.playbook(Path.of("/tmp/r"), "t");

		assertThat(env).containsEntry("http_proxy", "http://proxy:3128")
			.containsEntry("SSH_AUTH_SOCK", "/run/agent.sock")
			.doesNotContainKeys("NOT_SET_ANYWHERE", "SPRING_DATASOURCE_PASSWORD", "MY_SECRET");
		assertThat(env.values()).noneMatch(v -> v.contains("s3cret"));
	}

	@Test
	void withoutAnAgentSettingTheServicesAgentIsNotHandedOn() {
		Map<String, String> env = new PlaybookEnvironment(ANSIBLE, new AnsibleEnvironmentProperties(List.of(), null),
				SERVICE)
			.playbook(Path.of("/tmp/r"), "t");

		assertThat(env).doesNotContainKey("SSH_AUTH_SOCK");
	}

	@Test
	void theAllowListRefusesTheServicesOwnConfigurationAndMalformedNames() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AnsibleEnvironmentProperties(List.of("SPRING_DATASOURCE_PASSWORD"), null))
			.withMessageContaining("SPRING_DATASOURCE_PASSWORD");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AnsibleEnvironmentProperties(List.of("aegir_webhooks_secret"), null));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AnsibleEnvironmentProperties(List.of("JAVA_TOOL_OPTIONS"), null));
		assertThatIllegalArgumentException().isThrownBy(() -> new AnsibleEnvironmentProperties(List.of("A=B"), null))
			.withMessageContaining("not an environment variable name");
	}

	@Test
	void theEngineSettingsWinOverAnAllowListedNameOfTheSameName() {
		Map<String, String> service = new LinkedHashMap<>(SERVICE);
		service.put("ANSIBLE_CONFIG", "/elsewhere/ansible.cfg");
		Map<String, String> env = new PlaybookEnvironment(ANSIBLE,
				new AnsibleEnvironmentProperties(List.of("ANSIBLE_CONFIG"), null), service)
			.playbook(Path.of("/tmp/r"), "t");

		assertThat(env).containsEntry("ANSIBLE_CONFIG", ANSIBLE.config().toString());
	}

	private static Map<String, String> service() {
		Map<String, String> env = new LinkedHashMap<>();
		env.put("PATH", "/opt/bin:/usr/bin");
		env.put("HOME", "/var/lib/aegir");
		env.put("LANG", "C.UTF-8");
		env.put("LC_ALL", "C.UTF-8");
		env.put("TZ", "UTC");
		env.put("SPRING_DATASOURCE_PASSWORD", "db-s3cret");
		env.put("AEGIR_WEBHOOKS_SECRET", "wh-s3cret");
		env.put("AEGIR_SECURITY_TOKENS_0_VALUE", "tok-s3cret");
		env.put("MY_SECRET", "my-s3cret");
		env.put("SSH_AUTH_SOCK", "/tmp/ssh-XXXX/agent.1");
		env.put("http_proxy", "http://proxy:3128");
		return env;
	}

}
