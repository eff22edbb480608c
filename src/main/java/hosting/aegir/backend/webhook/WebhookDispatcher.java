package hosting.aegir.backend.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import hosting.aegir.backend.operation.OperationNotFoundException;
import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.queue.ChannelListener;
import hosting.aegir.backend.queue.ReplicaId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;

/**
 * Delivers webhooks from this replica: claims due deliveries (woken by the trigger's
 * NOTIFY, or by the poll), POSTs each operation's public view to its callback with the
 * JDK HTTP client (timeouts, no redirects, the allow-list checked again), signs it, and
 * records the outcome: delivered on a 2xx, else retried with exponential back-off and
 * jitter until {@code retry-for} has passed. Each attempt runs under a lease, so a
 * replica that dies mid-attempt leaves the delivery to another.
 */
@Component
class WebhookDispatcher implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);

	private static final int MAX_ERROR_CHARS = 500;

	private final WebhookSql sql;

	private final CallbackUrls urls;

	private final OperationService operations;

	private final JsonMapper json;

	private final WebhookProperties properties;

	private final String replica;

	private final ChannelListener listener;

	private final AtomicInteger busy = new AtomicInteger();

	private final Object wakeLock = new Object();

	private boolean wakeRequested;

	private volatile boolean running;

	private HttpClient http;

	private ExecutorService pool;

	private ExecutorService httpThreads;

	private Thread dispatcher;

	WebhookDispatcher(WebhookSql sql, CallbackUrls urls, OperationService operations, JsonMapper json,
			WebhookProperties properties, ReplicaId replica, ChannelListener listener) {
		this.sql = sql;
		this.urls = urls;
		this.operations = operations;
		this.json = json;
		this.properties = properties;
		this.replica = replica.value();
		this.listener = listener;
	}

	void wake() {
		synchronized (wakeLock) {
			wakeRequested = true;
			wakeLock.notifyAll();
		}
	}

	private void dispatch() {
		while (running) {
			synchronized (wakeLock) {
				if (!wakeRequested) {
					try {
						wakeLock.wait(properties.pollInterval().toMillis());
					}
					catch (InterruptedException ex) {
						return;
					}
				}
				wakeRequested = false;
			}
			try {
				int reaped = sql.reapExpiredLeases(properties.retryFor());
				if (reaped > 0) {
					log.warn("{} webhook delivery attempt(s) outlived their lease (replica gone?); due again", reaped);
				}
				claimWhileFree();
			}
			catch (DataAccessException ex) {
				log.warn("Could not claim webhook deliveries: {}", ex.getMessage());
			}
		}
	}

	private void claimWhileFree() {
		while (running) {
			int free = properties.concurrency() - busy.get();
			if (free <= 0) {
				return;
			}
			List<WebhookSql.Claimed> claimed = sql.claim(replica, properties.lease(), free);
			for (WebhookSql.Claimed claim : claimed) {
				busy.incrementAndGet();
				pool.execute(() -> {
					try {
						attempt(claim);
					}
					catch (RuntimeException ex) {
						// Left DELIVERING: the lease runs out and the delivery is tried
						// again.
						log.warn("Webhook delivery {} of operation {} could not be recorded: {}", claim.id(),
								claim.operationId(), ex.getMessage());
					}
					finally {
						busy.decrementAndGet();
						wake();
					}
				});
			}
			if (claimed.size() < free) {
				return;
			}
		}
	}

	private void attempt(WebhookSql.Claimed claim) {
		URI url = URI.create(claim.url());
		String refusal = urls.refusal(url);
		if (refusal != null) {
			log.warn("Webhook delivery {} of operation {} abandoned: callbackUrl {}", claim.id(), claim.operationId(),
					refusal);
			sql.abandon(claim, replica, "callbackUrl " + refusal);
			return;
		}
		byte[] body;
		try {
			body = json.writeValueAsBytes(operations.get(claim.operationId()).withoutCallbackState());
		}
		catch (OperationNotFoundException ex) {
			return; // deleted with its delivery
		}
		long timestamp = Instant.now().getEpochSecond();
		HttpRequest request = HttpRequest.newBuilder(url)
			.timeout(properties.timeout())
			.header("Content-Type", "application/json")
			.header("User-Agent", "aegir-backend")
			.header(WebhookSignature.ID_HEADER, claim.id().toString())
			.header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
			.header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(properties.secret(), timestamp, body))
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build();
		Integer status = null;
		String error;
		CompletableFuture<HttpResponse<Void>> exchange = http.sendAsync(request,
				HttpResponse.BodyHandlers.discarding());
		try {
			// The request timeout covers the wait for the headers; this covers a body
			// that never ends.
			status = exchange.get(properties.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS).statusCode();
			error = status / 100 == 2 ? null : "HTTP " + status;
		}
		catch (TimeoutException ex) {
			exchange.cancel(true);
			error = "no complete response within " + properties.timeout().toMillis() + " ms";
		}
		catch (ExecutionException ex) {
			error = describe(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			exchange.cancel(true);
			return; // shutting down: the lease runs out and another replica tries
		}
		if (error == null) {
			if (sql.delivered(claim, replica, status)) {
				log.info("Webhook of operation {} delivered to {} (attempt {}, HTTP {})", claim.operationId(),
						url.getHost(), claim.attempt(), status);
			}
			return;
		}
		Duration backoff = properties.backoff(claim.attempt());
		sql.failed(claim, replica, status, clip(error), backoff, properties.retryFor());
		log.info(
				"Webhook of operation {} to {} failed (attempt {}: {}); next attempt in {} ms unless retry-for has passed",
				claim.operationId(), url.getHost(), claim.attempt(), error, backoff.toMillis());
	}

	private static String describe(Throwable ex) {
		String message = ex.getMessage();
		return ex.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
	}

	private static String clip(String text) {
		return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "…" : text;
	}

	@Override
	public void start() {
		if (!properties.enabled()) {
			log.info("Webhook delivery disabled on this replica (aegir.webhooks.enabled=false)");
			return;
		}
		running = true;
		AtomicInteger threads = new AtomicInteger();
		pool = Executors.newFixedThreadPool(properties.concurrency(),
				r -> daemon(r, "aegir-webhook-" + threads.incrementAndGet()));
		httpThreads = Executors.newFixedThreadPool(2,
				r -> daemon(r, "aegir-webhook-http-" + threads.incrementAndGet()));
		// Never follows redirects: a 3xx is a failed attempt, so a callback cannot lead
		// off the allow-list.
		http = HttpClient.newBuilder()
			.connectTimeout(properties.timeout())
			.followRedirects(HttpClient.Redirect.NEVER)
			.proxy(HttpClient.Builder.NO_PROXY)
			// Its own small pool: the delivery threads block on its answers, so they must
			// not be the ones giving them.
			.executor(httpThreads)
			.build();
		// Without allowed hosts no callback is accepted, so the poll alone is enough (and
		// no connection is held).
		if (properties.notifications() && !properties.allowedHosts().isEmpty()) {
			listener.subscribe(WebhookSql.CHANNEL, payload -> wake(), this::wake);
		}
		dispatcher = daemon(this::dispatch, "aegir-webhook-dispatcher");
		dispatcher.start();
		wake();
	}

	@Override
	public void stop() {
		if (!running) {
			return;
		}
		running = false;
		dispatcher.interrupt();
		// Attempts under way may finish briefly; any cut short is retried once its lease
		// runs out.
		pool.shutdown();
		try {
			if (!pool.awaitTermination(properties.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS)) {
				pool.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		httpThreads.shutdownNow();
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	private static Thread daemon(Runnable runnable, String name) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		return thread;
	}

}
