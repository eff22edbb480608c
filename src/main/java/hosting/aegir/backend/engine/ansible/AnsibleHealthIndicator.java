package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the Ansible engine: ansible-playbook can be run and the ansible directory
 * is there. The check starts a process, so its result is kept for a while rather than run
 * on every probe.
 */
@Component("ansible")
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class AnsibleHealthIndicator implements HealthIndicator {

	private static final Duration CACHE = Duration.ofSeconds(30);

	private final AnsibleProperties properties;

	private volatile Health cached;

	private volatile Instant checkedAt = Instant.MIN;

	private final PlaybookEnvironment environment;

	public AnsibleHealthIndicator(AnsibleProperties properties, PlaybookEnvironment environment) {
		this.properties = properties;
		this.environment = environment;
	}

	@Override
	public Health health() {
		if (cached == null || Instant.now().isAfter(checkedAt.plus(CACHE))) {
			cached = check();
			checkedAt = Instant.now();
		}
		return cached;
	}

	private Health check() {
		if (!Files.isReadable(properties.config())) {
			return Health.down().withDetail("reason", "no ansible.cfg at " + properties.config()).build();
		}
		List<String> command = new ArrayList<>(properties.playbookCommand());
		command.add("--version");
		try {
			Process process = PlaybookEnvironment
				.applyTo(new ProcessBuilder(command).redirectErrorStream(true), environment.tool())
				.start();
			if (!process.waitFor(20, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				return Health.down()
					.withDetail("reason", String.join(" ", command) + " did not answer within 20 s")
					.build();
			}
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (process.exitValue() != 0) {
				return Health.down()
					.withDetail("reason", String.join(" ", command) + " exited with " + process.exitValue())
					.build();
			}
			return Health.up().withDetail("version", output.lines().findFirst().orElse("")).build();
		}
		catch (IOException ex) {
			return Health.down().withDetail("reason", "cannot run " + command.get(0) + ": " + ex.getMessage()).build();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Health.unknown().build();
		}
	}

}
