package hosting.aegir.backend.config;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /actuator/info tells an operator, without a token, what is deployed: the build (from
 * spring-boot-maven-plugin's build-info) and, where the build had Git data, the commit.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.executor.enabled=false")
@Import(ScriptedEngineConfig.class)
class ActuatorInfoTest {

	@LocalServerPort
	int port;

	@Test
	void infoShowsTheBuildAndTheCommit() {
		ApiClient api = new ApiClient(port);
		var response = api.get("/actuator/info", null);
		assertThat(response.statusCode()).isEqualTo(200);
		JsonNode info = api.json(response);
		assertThat(info.path("build").path("artifact").asString()).isEqualTo("aegir-backend");
		assertThat(info.path("build").path("version").asString()).isNotBlank();
		assertThat(info.path("build").path("time").asString()).isNotBlank();
		assertThat(info.path("app").path("name").asString()).isEqualTo("aegir-backend");
		// A clean clone has git.properties; a linked worktree or a source archive builds
		// without it.
		if (new ClassPathResource("git.properties").exists()) {
			assertThat(info.path("git").path("commit").path("id").asString()).matches("[0-9a-f]{7,40}");
			assertThat(info.path("git").path("branch").asString()).isNotBlank();
		}
		else {
			assertThat(info.has("git")).isFalse();
		}
	}

}
