package hosting.aegir.backend.queue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Consumer;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import hosting.aegir.backend.operation.OperationStore;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens for the queue's notifications on a dedicated connection of its own, outside the
 * pool (a pooled connection would be handed to others, and LISTEN lives as long as the
 * session). On any error it reconnects with back-off and then reports a reconnect, since
 * notifications sent in the gap are lost; the caller then polls once.
 * <p>
 * A connection can also die silently (a half-open TCP connection after a network fault or
 * a failover leaves nothing to read, and waiting for notifications never fails). So when
 * nothing has arrived for {@link #PING_EVERY} the listener sends a query: on a dead
 * connection it fails within the socket timeout, and the listener reconnects instead of
 * falling back to polling unnoticed.
 */
class QueueNotifications implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(QueueNotifications.class);

	static final long PING_EVERY = 10_000;

	static final String APPLICATION_NAME = "aegir-queue-listener";

	// Seconds a read on the listening connection may block before it counts as dead.
	private static final int SOCKET_TIMEOUT_SECONDS = 15;

	private final String url;

	private final String username;

	private final String password;

	private final Runnable onQueued;

	private final Consumer<UUID> onCancel;

	private final Thread thread;

	private volatile boolean running = true;

	private volatile Connection connection;

	QueueNotifications(DataSource dataSource, Runnable onQueued, Consumer<UUID> onCancel) {
		HikariDataSource hikari;
		try {
			hikari = dataSource.unwrap(HikariDataSource.class);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("the queue listens on a connection built from the Hikari pool's settings",
					ex);
		}
		this.url = hikari.getJdbcUrl();
		this.username = hikari.getUsername();
		this.password = hikari.getPassword();
		this.onQueued = onQueued;
		this.onCancel = onCancel;
		this.thread = new Thread(this::listen, "aegir-queue-listener");
		this.thread.setDaemon(true);
	}

	void start() {
		thread.start();
	}

	private void listen() {
		long backoff = 250;
		boolean reconnecting = false;
		while (running) {
			java.util.Properties props = new java.util.Properties();
			if (username != null) {
				props.setProperty("user", username);
			}
			if (password != null) {
				props.setProperty("password", password);
			}
			props.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
			props.setProperty("tcpKeepAlive", "true");
			props.setProperty("connectTimeout", "10");
			// Names the session in pg_stat_activity, for operators (and tests) looking
			// for the listener.
			props.setProperty("ApplicationName", APPLICATION_NAME);
			try (Connection c = DriverManager.getConnection(url, props)) {
				connection = c;
				try (Statement s = c.createStatement()) {
					s.execute("LISTEN " + OperationStore.QUEUED_CHANNEL);
					s.execute("LISTEN " + OperationStore.CANCEL_CHANNEL);
				}
				if (reconnecting) {
					log.info("Queue listener reconnected");
					onQueued.run();
				}
				backoff = 250;
				PGConnection pg = c.unwrap(PGConnection.class);
				long lastHeard = System.nanoTime();
				while (running) {
					PGNotification[] notifications = pg.getNotifications(500);
					if (notifications == null || notifications.length == 0) {
						if (System.nanoTime() - lastHeard > java.util.concurrent.TimeUnit.MILLISECONDS
							.toNanos(PING_EVERY)) {
							ping(c);
							lastHeard = System.nanoTime();
						}
						continue;
					}
					lastHeard = System.nanoTime();
					boolean queued = false;
					for (PGNotification n : notifications) {
						if (OperationStore.CANCEL_CHANNEL.equals(n.getName())) {
							cancel(n.getParameter());
						}
						else {
							queued = true;
						}
					}
					if (queued) {
						onQueued.run();
					}
				}
			}
			catch (SQLException | RuntimeException ex) {
				if (!running) {
					return;
				}
				log.warn("Queue listener lost its connection ({}); reconnecting in {} ms", ex.getMessage(), backoff);
				reconnecting = true;
				sleep(backoff);
				backoff = Math.min(backoff * 2, 10_000);
			}
		}
	}

	// A round trip; throws on a dead connection (at the latest after the socket timeout).
	private static void ping(Connection c) throws SQLException {
		try (Statement s = c.createStatement()) {
			s.execute("SELECT 1");
		}
	}

	private void cancel(String payload) {
		try {
			onCancel.accept(UUID.fromString(payload));
		}
		catch (IllegalArgumentException ex) {
			log.warn("Ignoring a cancel notification with payload '{}'", payload);
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void close() {
		running = false;
		Connection c = connection;
		if (c != null) {
			try {
				c.close();
			}
			catch (SQLException ex) {
				// closing anyway
			}
		}
		try {
			thread.join(2_000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
