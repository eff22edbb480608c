package hosting.aegir.backend.stream;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How this replica serves operation streams ({@code GET /api/v1/operations/{id}/stream}).
 *
 * @param maxStreams open streams this replica holds at most; more are refused with 503
 * @param pollInterval fallback look for news on every streamed operation, covering lost
 * notifications
 * @param keepAlive how often an idle stream gets a comment line, so proxies keep it and
 * dead clients are found
 * @param maxDuration a stream is closed after this long; the client reconnects with
 * {@code Last-Event-ID}
 * @param notifications wake on LISTEN/NOTIFY; off behind a transaction-pooling PgBouncer
 * (the poll then serves)
 * @param senders threads that write events to the clients, shared by all streams
 */
@ConfigurationProperties("aegir.stream")
record StreamProperties(@DefaultValue("2000") int maxStreams, @DefaultValue("2s") Duration pollInterval,
		@DefaultValue("20s") Duration keepAlive, @DefaultValue("30m") Duration maxDuration,
		@DefaultValue("true") boolean notifications, @DefaultValue("4") int senders) {
}
