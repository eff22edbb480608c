package hosting.aegir.backend.operation;

import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A small pool of its own for the statements that keep leases (heartbeats, the reaper,
 * hand-backs): built from the main pool's settings, so a burst of API traffic that drains
 * the main pool never makes this replica's heartbeats late and its running work look
 * lost. Not a {@link DataSource} bean, so Spring's own DataSource auto-configuration
 * stays as it is.
 */
// Imported by OperationStore, which cannot work without it (and so comes with it into
// slice
// tests).
class LeaseConnections implements DisposableBean {

	private final HikariDataSource pool;

	private final JdbcClient jdbc;

	LeaseConnections(DataSource dataSource) {
		HikariDataSource main;
		try {
			main = dataSource.unwrap(HikariDataSource.class);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("lease connections are built from the Hikari pool's settings", ex);
		}
		HikariConfig config = new HikariConfig();
		config.setPoolName("aegir-lease");
		config.setJdbcUrl(main.getJdbcUrl());
		config.setUsername(main.getUsername());
		config.setPassword(main.getPassword());
		config.setSchema(main.getSchema());
		config.setDataSourceProperties(main.getDataSourceProperties());
		config.setConnectionTimeout(main.getConnectionTimeout());
		config.setValidationTimeout(main.getValidationTimeout());
		config.setMaximumPoolSize(2);
		// None held on an API-only replica; on an executor the heartbeats keep one open.
		config.setMinimumIdle(0);
		// Starts without a database, like the main pool: the lease keeper retries each
		// tick.
		config.setInitializationFailTimeout(-1);
		this.pool = new HikariDataSource(config);
		this.jdbc = JdbcClient.create(pool);
	}

	JdbcClient jdbc() {
		return jdbc;
	}

	@Override
	public void destroy() {
		pool.close();
	}

}
