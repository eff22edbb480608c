package hosting.aegir.backend.support;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Plain JDBC on one test schema, for tests that watch replicas from outside (a connection
 * per statement).
 */
public final class SchemaJdbc {

	private SchemaJdbc() {
	}

	public static JdbcClient on(String schema) {
		TestDatabase db = TestDatabase.get();
		DriverManagerDataSource dataSource = new DriverManagerDataSource(
				db.url() + (db.url().contains("?") ? "&" : "?") + "currentSchema=" + schema, db.username(),
				db.password());
		return JdbcClient.create(dataSource);
	}

}
