package hosting.aegir.backend.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Closed-loop HTTP load from the JDK {@link HttpClient}: {@code clients} threads, each sending its
 * next request as soon as the previous answer is read, for a fixed time. The result is completed
 * requests per second; any answer with an unexpected status fails the round, so a benchmark cannot
 * measure error pages fast.
 */
public final class HttpLoad {

	private static final com.sun.management.OperatingSystemMXBean PROCESS = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
		.getOperatingSystemMXBean();

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5)).build();

	/** Requests per second over {@code duration}, each request made by {@code request} from a running counter. */
	public double run(int clients, Duration duration, int expectedStatus, IntFunction<HttpRequest> request) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(clients);
		AtomicLong done = new AtomicLong();
		AtomicLong counter = new AtomicLong();
		AtomicReference<String> failure = new AtomicReference<>();
		CountDownLatch start = new CountDownLatch(1);
		long[] window = new long[2];
		HttpRequest first = request.apply(0);
		long cpuBefore = PROCESS.getProcessCpuTime();
		List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
		for (int c = 0; c < clients; c++) {
			futures.add(pool.submit(() -> {
				start.await();
				while (System.nanoTime() < window[1] && failure.get() == null) {
					HttpResponse<String> response = client.send(request.apply((int) counter.getAndIncrement()),
							HttpResponse.BodyHandlers.ofString());
					if (response.statusCode() != expectedStatus) {
						failure.compareAndSet(null, response.statusCode() + " " + response.body());
					}
					done.incrementAndGet();
				}
				return null;
			}));
		}
		window[0] = System.nanoTime();
		window[1] = window[0] + duration.toNanos();
		start.countDown();
		for (java.util.concurrent.Future<?> future : futures) {
			future.get();
		}
		long elapsed = System.nanoTime() - window[0];
		long cpu = PROCESS.getProcessCpuTime() - cpuBefore;
		pool.shutdown();
		// Context for a loaded machine, where throughput depends on the share of the cores
		// this JVM got: the CPU this JVM (service and load generator together) spent per
		// request. The database's CPU is not in it.
		System.out.printf("    [cpu] %s %s (%d): %.0f us of this JVM's CPU per request, %d requests%n", first.method(),
				first.uri().getPath(), expectedStatus, done.get() == 0 ? 0.0 : cpu / 1e3 / done.get(), done.get());
		if (failure.get() != null) {
			throw new IllegalStateException("unexpected answer: " + failure.get());
		}
		return done.get() / (elapsed / 1e9);
	}

	/** A GET with a bearer token. */
	public static HttpRequest get(String url, String token) {
		return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET().build();
	}

}
