package hosting.aegir.backend.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A Server-Sent Events client for tests, reading one stream on the calling thread:
 * connect (with a {@code Last-Event-ID} or not), take events one by one, close whenever
 * the test wants to force a reconnect.
 */
public final class EventStream implements AutoCloseable {

	/** One event: its name, id and data (the data lines joined with newlines). */
	public record Event(String name, String id, String data) {
	}

	private final HttpResponse<InputStream> response;

	private final BufferedReader reader;

	private EventStream(HttpResponse<InputStream> response) {
		this.response = response;
		this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
	}

	public static EventStream open(HttpClient http, int port, String path, String token, String lastEventId) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.header("Accept", "text/event-stream");
		if (token != null) {
			request.header("Authorization", "Bearer " + token);
		}
		if (lastEventId != null) {
			request.header("Last-Event-ID", lastEventId);
		}
		try {
			return new EventStream(http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	public int status() {
		return response.statusCode();
	}

	public String contentType() {
		return response.headers().firstValue("Content-Type").orElse("");
	}

	/**
	 * The next event (comments skipped), or null when the server has ended the stream.
	 */
	public Event next() {
		String name = "message";
		String id = null;
		StringBuilder data = null;
		try {
			for (String line = reader.readLine(); line != null; line = reader.readLine()) {
				if (line.isEmpty()) {
					if (data != null) {
						return new Event(name, id, data.toString());
					}
					name = "message";
					continue;
				}
				if (line.startsWith(":")) {
					continue;
				}
				int colon = line.indexOf(':');
				String field = colon < 0 ? line : line.substring(0, colon);
				String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
				switch (field) {
					case "event" -> name = value;
					case "id" -> id = value;
					case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
					default -> {
					}
				}
			}
			return null;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Reads what is left of the body, for responses that are not streams (errors). */
	public String rest() {
		try {
			return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Drops the connection, as a client that loses its network would. */
	@Override
	public void close() {
		try {
			response.body().close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

	public static HttpClient client() {
		return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
	}

}
