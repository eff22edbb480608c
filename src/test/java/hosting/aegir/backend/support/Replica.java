package hosting.aegir.backend.support;

import java.util.ArrayList;
import java.util.List;

import hosting.aegir.backend.AegirBackendApplication;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts a whole service instance (an application context with its web server and
 * executor) on a given schema of the test database, for tests that need several replicas
 * or must stop one.
 */
public final class Replica {

	private Replica() {
	}

	public static ConfigurableApplicationContext start(String schema, EngineObservations observations,
			String... properties) {
		return startOn(TestDatabase.get().url(), schema, observations, properties);
	}

	/**
	 * Like {@link #start}, reaching the test database through another URL (a
	 * {@link TcpProxy}'s, say).
	 */
	public static ConfigurableApplicationContext startOn(String url, String schema, EngineObservations observations,
			String... properties) {
		TestDatabase db = TestDatabase.get();
		List<String> args = new ArrayList<>(List.of("--spring.datasource.url=" + url,
				"--spring.datasource.username=" + db.username(), "--spring.datasource.password=" + db.password(),
				"--aegir.database.schema=" + schema, "--server.port=0", "--spring.main.banner-mode=off"));
		for (String property : properties) {
			args.add("--" + property);
		}
		return new SpringApplicationBuilder(AegirBackendApplication.class, ScriptedEngineConfig.class).profiles("test")
			.initializers(context -> context.getBeanFactory().registerSingleton("engineObservations", observations))
			.run(args.toArray(String[]::new));
	}

}
