package hosting.aegir.backend.operation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.support.TestDatabase;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The service as the HTTP benchmarks run it: the real Ansible engine (so submissions are checked
 * against its catalog and inventory), bearer tokens, a fresh schema, production pool size, and its
 * log lines (the audit line of each submission included) written to a file rather than the console,
 * as a deployed service's go to a collector rather than through a test runner's pipe.
 */
final class ApiBenchmarkApp {

	/** The front-end's token in the test profile. */
	static final String SUBMITTER = "test-submitter-token-0123456789";

	private ApiBenchmarkApp() {
	}

	static ConfigurableApplicationContext start(String name, String... extra) {
		TestDatabase db = TestDatabase.get();
		List<String> args = new ArrayList<>(List.of("--spring.datasource.url=" + db.url(),
				"--spring.datasource.username=" + db.username(), "--spring.datasource.password=" + db.password(),
				"--aegir.database.schema=" + db.newSchema(), "--server.port=0", "--aegir.ansible.enabled=true",
				// Hikari's defaults, as in production (the test profile shrinks the pool for its many contexts).
				"--spring.datasource.hikari.maximum-pool-size=10", "--spring.datasource.hikari.minimum-idle=10",
				"--logging.threshold.console=off",
				"--logging.file.name=" + Path.of("target", "bench", name + "-service.log").toAbsolutePath()));
		args.addAll(List.of(extra));
		return new SpringApplicationBuilder(AegirBackendApplication.class).profiles("test").run(args.toArray(String[]::new));
	}

	static String base(ConfigurableApplicationContext context) {
		return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
	}

}
