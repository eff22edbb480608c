package hosting.aegir.backend.config;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * Replaces the wall of stack traces of a start-up without a database with one statement
 * of what failed and what to set.
 */
class DatabaseUnavailableFailureAnalyzer implements FailureAnalyzer {

	private final Environment environment;

	public DatabaseUnavailableFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	public FailureAnalysis analyze(Throwable failure) {
		String cause = null;
		for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
			if (t instanceof ConnectException || t instanceof UnknownHostException) {
				cause = t.getClass().getSimpleName() + ": " + t.getMessage();
				break;
			}
			if (t instanceof SQLException sql && sql.getSQLState() != null && (sql.getSQLState().startsWith("08")
					|| sql.getSQLState().startsWith("28") || sql.getSQLState().equals("3D000"))) {
				cause = sql.getMessage();
				break;
			}
		}
		if (cause == null) {
			return null;
		}
		String url = environment.getProperty("spring.datasource.url", "(not set)");
		return new FailureAnalysis("Cannot use the PostgreSQL database at " + url + ": " + cause,
				"Start PostgreSQL or point the service at one: set SPRING_DATASOURCE_URL (e.g. "
						+ "jdbc:postgresql://db.example:5432/aegir), SPRING_DATASOURCE_USERNAME and "
						+ "SPRING_DATASOURCE_PASSWORD. Locally, `docker compose up -d db` or a PostgreSQL on localhost:5432 will do.",
				failure);
	}

}
