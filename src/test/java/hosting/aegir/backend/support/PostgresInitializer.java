package hosting.aegir.backend.support;

import java.util.Map;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/** Points an application context at the test PostgreSQL, in a schema of its own. */
public class PostgresInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		TestDatabase db = TestDatabase.get();
		context.getEnvironment()
			.getPropertySources()
			.addFirst(new MapPropertySource("aegirTestDatabase",
					Map.of("spring.datasource.url", db.url(), "spring.datasource.username", db.username(),
							"spring.datasource.password", db.password(), "aegir.database.schema",
							context.getEnvironment().getProperty("aegir.database.schema.test", db.newSchema()))));
	}

}
