package hosting.aegir.backend.config;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Lets Spring Boot's docker-compose support start PostgreSQL only where a Docker engine
 * answers. Where the docker CLI exists but no engine runs (CI, these machines), the
 * support would fail the start-up; here the service then uses the configured datasource
 * (by default the local server).
 */
public class DockerComposeGuard implements EnvironmentPostProcessor {

	private static final String ENABLED = "spring.docker.compose.enabled";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (environment.containsProperty(ENABLED)) {
			return;
		}
		if (!engineAnswers(System.getenv("DOCKER_HOST"))) {
			environment.getPropertySources()
				.addLast(new MapPropertySource("aegirDockerComposeGuard", Map.of(ENABLED, "false")));
		}
	}

	/** Whether a Docker engine answers at DOCKER_HOST (or the default socket). */
	public static boolean engineAnswers(String dockerHost) {
		if (dockerHost != null && !dockerHost.isBlank() && !dockerHost.startsWith("unix://")) {
			return true; // a remote engine: let docker compose try it and report
		}
		Path socket = Path.of(dockerHost != null && dockerHost.startsWith("unix://")
				? dockerHost.substring("unix://".length()) : "/var/run/docker.sock");
		if (!Files.exists(socket)) {
			return false;
		}
		try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
			return channel.connect(UnixDomainSocketAddress.of(socket));
		}
		catch (IOException | UnsupportedOperationException ex) {
			return false;
		}
	}

}
