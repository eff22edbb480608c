package hosting.aegir.backend.queue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Listens on PostgreSQL notification channels for the features that the database wakes
 * (streams, webhooks), the way {@link QueueNotifications} wakes the queue: one dedicated
 * connection outside the pool for all of them, opened when the first channel is
 * subscribed. On any error it reconnects with back-off and then tells every subscriber,
 * since notifications sent in the gap are lost and each must look for itself once. A new
 * subscriber is told the same once its LISTEN is in effect: what was committed between
 * its subscribing and that moment notified nobody.
 */
@Component
public class ChannelListener implements DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(ChannelListener.class);

	private final DataSource dataSource;

	private final Map<String, List<Handler>> handlers = new ConcurrentHashMap<>();

	private volatile boolean channelsChanged;

	private volatile boolean running;

	private volatile Connection connection;

	private Thread thread;

	private record Handler(Consumer<String> onPayload, Runnable onReconnect) {
	}

	// Handlers whose channel has not been listened to since they subscribed (guarded by
	// this).
	private final List<Handler> unconfirmed = new ArrayList<>();

	public ChannelListener(DataSource dataSource) {
		this.dataSource = dataSource;
	}

	/**
	 * Calls {@code onPayload} with each notification's payload on {@code channel}, and
	 * {@code onReconnect} once the LISTEN is in effect and after a lost connection is
	 * back. The channel is a constant of the caller, never input: it is written into
	 * LISTEN as it is.
	 */
	public synchronized void subscribe(String channel, Consumer<String> onPayload, Runnable onReconnect) {
		Handler handler = new Handler(onPayload, onReconnect);
		handlers.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(handler);
		unconfirmed.add(handler);
		channelsChanged = true;
		if (thread == null) {
			running = true;
			thread = new Thread(this::listen, "aegir-channel-listener");
			thread.setDaemon(true);
			thread.start();
		}
	}

	private void listen() {
		HikariDataSource hikari;
		try {
			hikari = dataSource.unwrap(HikariDataSource.class);
		}
		catch (SQLException ex) {
			log.error("Notifications need a connection built from the Hikari pool's settings; features poll instead",
					ex);
			return;
		}
		long backoff = 250;
		boolean reconnecting = false;
		while (running) {
			try (Connection c = DriverManager.getConnection(hikari.getJdbcUrl(), hikari.getUsername(),
					hikari.getPassword())) {
				connection = c;
				channelsChanged = true;
				if (reconnecting) {
					log.info("Channel listener reconnected");
					takeUnconfirmed();
					listenToNewChannels(c);
					handlers.values().forEach(list -> list.forEach(h -> h.onReconnect().run()));
				}
				backoff = 250;
				PGConnection pg = c.unwrap(PGConnection.class);
				while (running) {
					if (channelsChanged) {
						// Taken before the LISTEN: a handler subscribed after the take
						// waits for the next round, when its channel is surely heard.
						List<Handler> confirmed = takeUnconfirmed();
						listenToNewChannels(c);
						confirmed.forEach(h -> h.onReconnect().run());
					}
					PGNotification[] notifications = pg.getNotifications(500);
					if (notifications != null) {
						for (PGNotification n : notifications) {
							handlers.getOrDefault(n.getName(), List.of())
								.forEach(h -> h.onPayload().accept(n.getParameter()));
						}
					}
				}
			}
			catch (SQLException | RuntimeException ex) {
				if (!running) {
					return;
				}
				log.warn("Channel listener lost its connection ({}); reconnecting in {} ms", ex.getMessage(), backoff);
				reconnecting = true;
				try {
					Thread.sleep(backoff);
				}
				catch (InterruptedException interrupted) {
					return;
				}
				backoff = Math.min(backoff * 2, 10_000);
			}
		}
	}

	// The handlers subscribed before the last LISTEN, now hearing their channel.
	private synchronized List<Handler> takeUnconfirmed() {
		List<Handler> taken = List.copyOf(unconfirmed);
		unconfirmed.clear();
		return taken;
	}

	// LISTEN is idempotent: listening again to a channel already heard changes nothing.
	private void listenToNewChannels(Connection c) throws SQLException {
		channelsChanged = false;
		try (Statement s = c.createStatement()) {
			for (String channel : handlers.keySet()) {
				s.execute("LISTEN " + channel);
			}
		}
	}

	@Override
	public synchronized void destroy() {
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
		if (thread != null) {
			try {
				thread.join(2_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
