package hosting.aegir.backend.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.springframework.context.annotation.Import;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The committed {@code openapi/aegir-backend.yaml} is what springdoc generates.
 * Regenerate it with
 * {@code ./mvnw test -Dtest=OpenApiSpecTest -Daegir.openapi.write=true}.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.executor.enabled=false")
@Import(ScriptedEngineConfig.class)
class OpenApiSpecTest {

	private static final Path COMMITTED = Path.of("openapi/aegir-backend.yaml");

	@LocalServerPort
	int port;

	@Test
	void committedSpecEqualsTheGeneratedOne() throws IOException {
		var response = new ApiClient(port).get("/v3/api-docs.yaml", null);
		assertThat(response.statusCode()).isEqualTo(200);
		String generated = response.body();
		if (Boolean.getBoolean("aegir.openapi.write")) {
			Files.writeString(COMMITTED, generated, StandardCharsets.UTF_8);
		}
		assertThat(COMMITTED).as("openapi/aegir-backend.yaml is missing: regenerate it (see this test's Javadoc)")
			.exists();
		assertThat(Files.readString(COMMITTED, StandardCharsets.UTF_8))
			.as("openapi/aegir-backend.yaml differs from the generated spec: regenerate it with "
					+ "./mvnw test -Dtest=OpenApiSpecTest -Daegir.openapi.write=true and review the diff")
			.isEqualTo(generated);
	}

}
