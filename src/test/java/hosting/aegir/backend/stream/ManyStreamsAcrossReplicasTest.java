package hosting.aegir.backend.stream;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A thousand open streams on a replica that runs nothing itself: held with a bounded
 * number of threads while idle, then fed, through the database's notifications, by
 * another replica that runs their operations, each stream getting its operation's every
 * log line and ending with SUCCEEDED.
 */
// Closed after the class: the local PostgreSQL's connections are shared by every context
// a run caches.
@DirtiesContext
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.executor.enabled=false", "server.tomcat.threads.max=20",
				"aegir.stream.max-streams=1500" })
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ManyStreamsAcrossReplicasTest {

	private static final int OPERATIONS = 100;

	private static final int STREAMS_PER_OPERATION = 10;

	@LocalServerPort
	int port;

	@Value("${aegir.database.schema}")
	String schema;

	@Autowired
	StreamHub hub;

	@Autowired
	JdbcClient jdbc;

	/**
	 * What one stream has received, counted as the lines arrive (no thread waits on it).
	 */
	static final class Counted implements Flow.Subscriber<String> {

		final UUID operation;

		final List<String> names = java.util.Collections.synchronizedList(new ArrayList<>());

		final List<String> data = java.util.Collections.synchronizedList(new ArrayList<>());

		final AtomicBoolean ended = new AtomicBoolean();

		Counted(UUID operation) {
			this.operation = operation;
		}

		@Override
		public void onSubscribe(Flow.Subscription subscription) {
			subscription.request(Long.MAX_VALUE);
		}

		@Override
		public void onNext(String line) {
			if (line.startsWith("event:")) {
				names.add(line.substring(6));
			}
			else if (line.startsWith("data:")) {
				data.add(line.substring(5));
			}
		}

		@Override
		public void onError(Throwable throwable) {
			ended.set(true);
		}

		@Override
		public void onComplete() {
			ended.set(true);
		}

		long count(String name) {
			synchronized (names) {
				return names.stream().filter(name::equals).count();
			}
		}

	}

	@Test
	void aThousandIdleStreamsHoldFewThreadsAndFollowRunsOnAnotherReplica() {
		ApiClient api = new ApiClient(port);
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < OPERATIONS; i++) {
			Map<String, Object> body = new HashMap<>(ApiClient.submission("site-stream-" + i));
			body.put("vars", Map.of("lines", 5));
			ids.add(UUID
				.fromString(api.json(api.post("/api/v1/operations", SUBMITTER, api.write(body))).get("id").asString()));
		}
		// The client side gets two threads of its own, so the count below is the server's
		// doing.
		ExecutorService clientThreads = Executors.newFixedThreadPool(2);
		HttpClient http = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.executor(clientThreads)
			.connectTimeout(Duration.ofSeconds(30))
			.build();
		var threads = ManagementFactory.getThreadMXBean();
		int before = threads.getThreadCount();
		int peakBefore = before;
		threads.resetPeakThreadCount();

		List<Counted> streams = new ArrayList<>();
		Map<Counted, Integer> statuses = new ConcurrentHashMap<>();
		for (UUID id : ids) {
			for (int i = 0; i < STREAMS_PER_OPERATION; i++) {
				Counted counted = new Counted(id);
				streams.add(counted);
				HttpRequest request = HttpRequest
					.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/operations/" + id + "/stream"))
					.header("Authorization", "Bearer " + VIEWER)
					.header("Accept", "text/event-stream")
					.GET()
					.build();
				// The status is taken as the headers arrive; the response itself
				// completes only when the stream ends.
				http.sendAsync(request, info -> {
					statuses.put(counted, info.statusCode());
					return HttpResponse.BodySubscribers.fromLineSubscriber(counted);
				});
			}
		}
		await("all 1000 streams are open and have their first status").atMost(Duration.ofSeconds(120))
			.until(() -> streams.stream().allMatch(s -> s.count("status") >= 1));
		assertThat(statuses.values()).hasSize(1000).containsOnly(200);
		assertThat(hub.openStreams()).isEqualTo(1000);
		int open = threads.getThreadCount();
		int peak = threads.getPeakThreadCount();
		System.out.printf("threads: %d before, %d with 1000 idle streams open (peak %d while opening; client side: 2 "
				+ "executor threads + 1 selector)%n", before, open, peak);
		// A thread per stream would add 1000; the hub, Tomcat's pool (max 20 here) and
		// the client add a few dozen.
		assertThat(open - before).isLessThan(100);
		assertThat(peak - peakBefore).isLessThan(150);

		// Another replica runs the operations; this one, which runs nothing, pushes what
		// it wrote.
		EngineObservations runnerSaw = new EngineObservations();
		try (ConfigurableApplicationContext runner = Replica.start(schema, runnerSaw,
				"aegir.executor.replica-id=runner", "aegir.executor.concurrency=4")) {
			await("every stream has ended").atMost(Duration.ofSeconds(180))
				.until(() -> streams.stream().allMatch(s -> s.ended.get()));
		}
		for (Counted s : streams) {
			long stored = jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = ?")
				.param(s.operation)
				.query(Long.class)
				.single();
			assertThat(s.count("log")).as("log lines streamed for " + s.operation)
				.isEqualTo(stored)
				.isGreaterThanOrEqualTo(5);
			assertThat(s.data.get(s.data.size() - 1)).contains("\"status\":\"SUCCEEDED\"");
		}
		assertThat(runnerSaw.allRuns()).hasSize(OPERATIONS);
		assertThat(hub.openStreams()).isZero();
		System.out.printf("threads: %d after all 1000 streams ended%n", threads.getThreadCount());
		clientThreads.shutdownNow();
	}

}
