package hosting.aegir.backend.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A plain HTTP client for end-to-end tests: real requests to the running server, nothing
 * mocked.
 */
public class ApiClient {

	public static final String SUBMITTER = "test-submitter-token-0123456789";

	public static final String VIEWER = "test-viewer-token-0123456789";

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final JsonMapper json = JsonMapper.builder().build();

	private final String base;

	public ApiClient(int port) {
		this.base = "http://127.0.0.1:" + port;
	}

	public HttpResponse<String> get(String path, String token, String... headers) {
		return send(request(path, token, headers).GET().build());
	}

	public HttpResponse<String> post(String path, String token, String body, String... headers) {
		HttpRequest.Builder builder = request(path, token, headers);
		if (!hasHeader(headers, "Content-Type")) {
			builder.header("Content-Type", "application/json");
		}
		return send(builder
			.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
			.build());
	}

	public HttpResponse<String> send(String method, String path, String token, String body, String... headers) {
		return send(
				request(path, token, headers)
					.method(method,
							body == null ? HttpRequest.BodyPublishers.noBody()
									: HttpRequest.BodyPublishers.ofString(body))
					.build());
	}

	/**
	 * Sends bytes exactly as given, for requests an ordinary client would refuse to
	 * build.
	 */
	public String raw(String requestText) {
		try (var socket = new java.net.Socket("127.0.0.1", URI.create(base).getPort())) {
			socket.setSoTimeout(10_000);
			socket.getOutputStream().write(requestText.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
			socket.getOutputStream().flush();
			return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public JsonNode json(HttpResponse<String> response) {
		return json.readTree(response.body());
	}

	public String write(Object value) {
		return json.writeValueAsString(value);
	}

	public HttpRequest.Builder request(String path, String token, String... headers) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
		if (token != null) {
			builder.header("Authorization", "Bearer " + token);
		}
		for (int i = 0; i + 1 < headers.length; i += 2) {
			builder.header(headers[i], headers[i + 1]);
		}
		return builder;
	}

	public HttpResponse<String> send(HttpRequest request) {
		try {
			return http.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static boolean hasHeader(String[] headers, String name) {
		for (int i = 0; i < headers.length; i += 2) {
			if (headers[i].equalsIgnoreCase(name)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Submits as the submitter and returns the accepted operation's id (a refusal fails
	 * the test).
	 */
	public String submit(Submission submission) {
		HttpResponse<String> response = post("/api/v1/operations", SUBMITTER, submission.toJson());
		if (response.statusCode() != 202) {
			throw new AssertionError("expected 202 for " + submission.toJson() + " but got " + response.statusCode()
					+ ": " + response.body());
		}
		return json(response).get("id").asString();
	}

	/** The operation as a viewer reads it. */
	public JsonNode operation(String id) {
		return json(get("/api/v1/operations/" + id, VIEWER));
	}

	/** The operation's status as a viewer reads it. */
	public String status(String id) {
		return operation(id).get("status").asString();
	}

	/** Waits until the operation has ended, whichever way, and returns it. */
	public JsonNode finished(String id, Duration timeout) {
		org.awaitility.Awaitility.await(id + " finishes").atMost(timeout).until(() -> TERMINAL.contains(status(id)));
		return operation(id);
	}

	private static final java.util.Set<String> TERMINAL = java.util.Set.of("SUCCEEDED", "FAILED", "CANCELLED",
			"TIMED_OUT");

	/** A minimal valid submission for the given target. */
	public static Map<String, Object> submission(String target) {
		return Map.of("type", "site.backup", "engine", "ansible", "target", target, "hosts", "localhost", "vars",
				Map.of("site_uri", "example.org"), "tasks", java.util.List
					.of(Map.of("name", "aegir.GenerateDrupalSiteBackup", "vars", Map.of("backup_dir", "/tmp"))));
	}

}
