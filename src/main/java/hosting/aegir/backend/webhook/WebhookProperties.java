package hosting.aegir.backend.webhook;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Webhooks: who may be called back, how deliveries are signed, and how long they are
 * retried.
 *
 * @param allowedHosts hosts a {@code callbackUrl} may name: {@code host} (any port) or
 * {@code host:port}; empty means no callbacks are accepted
 * @param allowHttp whether plain {@code http://} callbacks are accepted (else only
 * {@code https://})
 * @param secret shared secret of the HMAC-SHA256 signature; required once a host is
 * allowed
 * @param enabled whether this replica delivers webhooks (false: it only accepts them)
 * @param concurrency deliveries this replica makes at once
 * @param timeout a delivery attempt's limit, connecting and waiting for the response
 * included
 * @param initialBackoff wait after the first failed attempt; doubled after each further
 * one
 * @param maxBackoff the longest wait between two attempts
 * @param retryFor how long after the operation's end attempts go on; then the delivery is
 * FAILED
 * @param pollInterval fallback look for due deliveries (new ones normally wake replicas
 * through NOTIFY)
 * @param notifications wake on LISTEN/NOTIFY; off behind a transaction-pooling PgBouncer
 */
@ConfigurationProperties("aegir.webhooks")
record WebhookProperties(@DefaultValue List<String> allowedHosts, @DefaultValue("false") boolean allowHttp,
		String secret, @DefaultValue("true") boolean enabled, @DefaultValue("4") int concurrency,
		@DefaultValue("10s") Duration timeout, @DefaultValue("10s") Duration initialBackoff,
		@DefaultValue("10m") Duration maxBackoff, @DefaultValue("24h") Duration retryFor,
		@DefaultValue("5s") Duration pollInterval, @DefaultValue("true") boolean notifications) {

	public WebhookProperties {
		if (!allowedHosts.isEmpty() && (secret == null || secret.length() < 16)) {
			throw new IllegalStateException(
					"aegir.webhooks.secret must be set (at least 16 characters) when aegir.webhooks.allowed-hosts names a host");
		}
	}

	/**
	 * How long a claimed delivery is ours: an attempt's timeout and a margin; past it,
	 * another replica may retry.
	 */
	Duration lease() {
		return timeout.multipliedBy(2).plusSeconds(5);
	}

	/**
	 * Wait after a failed attempt: initial-backoff doubled per attempt, capped, less up
	 * to a fifth at random so retries spread.
	 */
	Duration backoff(int attempt) {
		long initial = initialBackoff.toMillis();
		long max = maxBackoff.toMillis();
		long millis = attempt >= 40 ? max : Math.min(max, initial * (1L << Math.max(0, attempt - 1)));
		return Duration.ofMillis(millis - java.util.concurrent.ThreadLocalRandom.current().nextLong(millis / 5 + 1));
	}

}
