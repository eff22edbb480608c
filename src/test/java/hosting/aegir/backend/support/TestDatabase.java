package hosting.aegir.backend.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import hosting.aegir.backend.config.DockerComposeGuard;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server the tests use, resolved once per test JVM:
 * {@code AEGIR_TEST_DB_URL} (CI creates a fresh database and names it), else a
 * Testcontainers PostgreSQL where a Docker engine answers, else a fresh database on the
 * local server at localhost:5432, dropped when the JVM ends. Never an in-memory
 * imitation.
 *
 * <p>
 * This is the one piece of static state in the code base, deliberately: one server for
 * all the test contexts of a run, the way Testcontainers' singleton-container pattern
 * works.
 */
public final class TestDatabase {

	private static final AtomicInteger SCHEMAS = new AtomicInteger();

	private static volatile TestDatabase instance;

	private final String url;

	private final String username;

	private final String password;

	private TestDatabase(String url, String username, String password) {
		this.url = url;
		this.username = username;
		this.password = password;
	}

	public static TestDatabase get() {
		if (instance == null) {
			synchronized (TestDatabase.class) {
				if (instance == null) {
					instance = resolve();
				}
			}
		}
		return instance;
	}

	private static TestDatabase resolve() {
		String url = System.getenv("AEGIR_TEST_DB_URL");
		if (url != null && !url.isBlank()) {
			return new TestDatabase(url, env("AEGIR_TEST_DB_USERNAME", "postgres"), env("AEGIR_TEST_DB_PASSWORD", ""));
		}
		if (DockerComposeGuard.engineAnswers(System.getenv("DOCKER_HOST"))) {
			PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
			container.start();
			return new TestDatabase(container.getJdbcUrl(), container.getUsername(), container.getPassword());
		}
		return freshLocalDatabase();
	}

	private static TestDatabase freshLocalDatabase() {
		String server = env("AEGIR_TEST_DB_SERVER", "jdbc:postgresql://localhost:5432/");
		String user = env("AEGIR_TEST_DB_USERNAME", "postgres");
		String password = env("AEGIR_TEST_DB_PASSWORD", "");
		String name = "aegir_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		execute(server + "postgres", user, password, "CREATE DATABASE " + name);
		Runtime.getRuntime()
			.addShutdownHook(new Thread(() -> execute(server + "postgres", user, password,
					"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")));
		return new TestDatabase(server + name, user, password);
	}

	private static void execute(String url, String user, String password, String sql) {
		try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
			s.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Tests need PostgreSQL: set AEGIR_TEST_DB_URL, run a Docker engine, or "
					+ "start PostgreSQL on localhost:5432 (" + ex.getMessage() + ")", ex);
		}
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return value == null || value.isBlank() ? fallback : value;
	}

	/**
	 * A schema name no other context of this run uses, so contexts never see each other's
	 * rows.
	 */
	public String newSchema() {
		return "aegir_t" + SCHEMAS.incrementAndGet() + "_"
				+ Long.toString(System.nanoTime() % 1_000_000, 36).toLowerCase(Locale.ROOT);
	}

	public String url() {
		return url;
	}

	public String username() {
		return username;
	}

	public String password() {
		return password;
	}

}
