package hosting.aegir.backend.stream;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.EventStream;
import hosting.aegir.backend.support.EventStream.Event;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Following a real Ansible run over Server-Sent Events, from QUEUED to SUCCEEDED, with
 * the connection dropped in the middle and resumed with Last-Event-ID: every log line and
 * task event arrives exactly once, in order, and the stream ends with the terminal
 * status.
 */
// Closed after the class: the local PostgreSQL's connections are shared by every context
// a run caches.
@DirtiesContext
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "aegir.ansible.enabled=true", "aegir.executor.concurrency=2", "aegir.log.flush-interval=100ms" })
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OperationStreamAnsibleTest {

	// drush is the operator's (inventory), so one fake drush tells the operations apart
	// by their --uri.
	static final OperatorInventory OPERATOR = OperatorInventory.create();

	@DynamicPropertySource
	static void operatorInventory(DynamicPropertyRegistry registry) {
		registry.add("aegir.ansible.inventory", () -> OPERATOR.hostsFile().toString());
	}

	@LocalServerPort
	int port;

	@TempDir
	Path dir;

	private final JsonMapper json = JsonMapper.builder().build();

	@BeforeEach
	void theDrushUserWritesItsMarkersHere() {
		// drush runs as the operator's drush user, never as root.
		OPERATOR.giveToDrushUser(dir);
	}

	@Test
	void aFollowerReceivesEveryLineOnceAcrossAReconnect() throws Exception {
		ApiClient api = new ApiClient(port);
		HttpClient http = EventStream.client();
		String target = "site-" + UUID.randomUUID();
		Path releaseBlocker = dir.resolve("release-blocker");
		Path releaseFollowed = dir.resolve("release-followed");
		// The first operation holds the target until the test lets it go, so the followed
		// one is queued behind it.
		// The followed operation prints several lines, then waits in its second task
		// while the stream is down.
		OPERATOR.drush("""
				if [ "$3" = "--uri=blocker.example.org" ]; then
				  while [ ! -f %2$s ]; do sleep 0.1; done
				  echo blocker done
				  exit 0
				fi
				[ "$3" = "--uri=true.example.org" ] && exit 0
				echo "cron of $3 begins"
				echo "cron step 1 of 3"
				echo "cron step 2 of 3"
				if [ -f %1$s.seen ]; then while [ ! -f %1$s ]; do sleep 0.1; done; fi
				touch %1$s.seen
				echo "cron step 3 of 3"
				""".formatted(releaseFollowed, releaseBlocker));
		submit(api, target, "blocker.example.org", 1);
		UUID followed = submit(api, target, "example.org", 3);

		List<Event> received = new ArrayList<>();
		String lastId;
		try (EventStream first = EventStream.open(http, port, "/api/v1/operations/" + followed + "/stream", VIEWER,
				null)) {
			assertThat(first.status()).isEqualTo(200);
			assertThat(first.contentType()).startsWith("text/event-stream");
			Event opening = first.next();
			assertThat(opening.name()).isEqualTo("status");
			assertThat(json.readTree(opening.data()).get("status").asString()).isEqualTo("QUEUED");
			received.add(opening);
			Files.createFile(releaseBlocker);
			// Read until the first task's drush has run (the second one waits for the
			// test), then drop the connection.
			Event event;
			do {
				event = first.next();
				assertThat(event).as("the stream must not end while the operation runs").isNotNull();
				received.add(event);
			}
			while (!("task".equals(event.name())
					&& "Run drush cron".equals(json.readTree(event.data()).get("task").asString())));
			lastId = event.id();
		}
		Files.createFile(releaseFollowed);

		try (EventStream second = EventStream.open(http, port, "/api/v1/operations/" + followed + "/stream", SUBMITTER,
				lastId)) {
			assertThat(second.status()).isEqualTo(200);
			for (Event event = second.next(); event != null; event = second.next()) {
				received.add(event);
			}
		}

		JsonNode log = api.json(api.get("/api/v1/operations/" + followed + "/log?limit=10000", VIEWER));
		assertThat(log.get("complete").asBoolean()).isTrue();
		List<Long> storedSeqs = log.get("lines").valueStream().map(l -> l.get("seq").asLong()).toList();
		List<String> storedTexts = log.get("lines").valueStream().map(l -> l.get("text").asString()).toList();
		List<JsonNode> lines = received.stream()
			.filter(e -> "log".equals(e.name()))
			.map(e -> json.readTree(e.data()))
			.toList();
		assertThat(lines.stream().map(l -> l.get("seq").asLong()).toList()).as("log lines received, in order")
			.isEqualTo(storedSeqs);
		assertThat(lines.stream().map(l -> l.get("text").asString()).toList()).isEqualTo(storedTexts)
			.anyMatch(t -> t.startsWith("PLAY RECAP"))
			.filteredOn(t -> t.equals("changed: [localhost]"))
			.hasSize(3);
		assertThat(storedSeqs).hasSizeGreaterThan(10);

		JsonNode events = api.json(api.get("/api/v1/operations/" + followed + "/events", VIEWER)).get("events");
		assertThat(received.stream()
			.filter(e -> "task".equals(e.name()))
			.map(e -> json.readTree(e.data()).get("seq").asLong()))
			.containsExactlyElementsOf(events.valueStream().map(e -> e.get("seq").asLong()).toList())
			.hasSizeGreaterThanOrEqualTo(3);

		List<String> statuses = received.stream()
			.filter(e -> "status".equals(e.name()))
			.map(e -> json.readTree(e.data()).get("status").asString())
			.toList();
		assertThat(statuses.get(0)).isEqualTo("QUEUED");
		assertThat(statuses).contains("RUNNING").last().isEqualTo("SUCCEEDED");
		assertThat(received.get(received.size() - 1).name()).as("the stream ends with the terminal status")
			.isEqualTo("status");

		System.out.printf("stream: %d events received over two connections (%d log lines, reconnected after id %s)%n",
				received.size(), lines.size(), lastId);
		// Each id is the position after that event: log seq and task event seq never go
		// back.
		long lastLog = 0;
		for (Event event : received) {
			Cursor at = Cursor.parse(event.id());
			assertThat(at.logSeq()).isGreaterThanOrEqualTo(lastLog);
			if ("log".equals(event.name())) {
				assertThat(at.logSeq()).isEqualTo(json.readTree(event.data()).get("seq").asLong());
			}
			lastLog = at.logSeq();
		}

		// A client that has everything of a finished operation is told to stop
		// reconnecting.
		String end = received.get(received.size() - 1).id();
		try (EventStream done = EventStream.open(http, port, "/api/v1/operations/" + followed + "/stream", VIEWER,
				end)) {
			assertThat(done.status()).isEqualTo(204);
		}
	}

	@Test
	void streamsAreRefusedWithProblemsLikeTheOtherEndpoints() {
		HttpClient http = EventStream.client();
		try (EventStream unknown = EventStream.open(http, port, "/api/v1/operations/" + UUID.randomUUID() + "/stream",
				VIEWER, null)) {
			assertThat(unknown.status()).isEqualTo(404);
			assertThat(unknown.contentType()).startsWith("application/problem+json");
		}
		UUID id = submit(new ApiClient(port), "site-" + UUID.randomUUID(), "true.example.org", 1);
		try (EventStream bad = EventStream.open(http, port, "/api/v1/operations/" + id + "/stream", VIEWER,
				"12;DROP")) {
			assertThat(bad.status()).isEqualTo(400);
			JsonNode problem = json.readTree(bad.rest());
			assertThat(problem.get("type").asString()).isEqualTo("https://aegir.hosting/problems/validation-failed");
			assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("Last-Event-ID");
		}
		try (EventStream anonymous = EventStream.open(http, port, "/api/v1/operations/" + id + "/stream", null, null)) {
			assertThat(anonymous.status()).isEqualTo(401);
		}
	}

	private UUID submit(ApiClient api, String target, String siteUri, int tasks) {
		List<Map<String, Object>> list = new ArrayList<>();
		for (int i = 0; i < tasks; i++) {
			list.add(Map.of("name", "aegir.RunDrupalCron", "vars", Map.of()));
		}
		Path siteRoot = OPERATOR.platforms().resolve("d10");
		try {
			Files.createDirectories(siteRoot);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		var response = api.post("/api/v1/operations", SUBMITTER,
				api.write(Map.of("type", "site.cron", "engine", "ansible", "target", target, "hosts", "localhost",
						"vars", Map.of("site_uri", siteUri, "site_root", siteRoot.toString()), "tasks", list)));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return UUID.fromString(api.json(response).get("id").asString());
	}

}
