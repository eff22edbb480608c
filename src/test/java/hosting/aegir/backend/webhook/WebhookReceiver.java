package hosting.aegir.backend.webhook;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.sun.net.httpserver.HttpServer;

/**
 * A local webhook receiver on 127.0.0.1 (the JDK's HTTP server): records every request
 * and answers as the test scripts it, possibly holding a request open until released.
 */
final class WebhookReceiver implements AutoCloseable {

	/** One request as received. */
	record Received(String path, Map<String, List<String>> headers, byte[] body) {

		String header(String name) {
			return headers.entrySet()
				.stream()
				.filter(e -> e.getKey().equalsIgnoreCase(name))
				.findFirst()
				.map(e -> e.getValue().get(0))
				.orElse(null);
		}

		String text() {
			return new String(body, StandardCharsets.UTF_8);
		}

	}

	/**
	 * How to answer the n-th request (0-based): a status, and optionally a Location
	 * header.
	 */
	record Answer(int status, String location, boolean hold) {

		static Answer of(int status) {
			return new Answer(status, null, false);
		}

	}

	final List<Received> requests = new CopyOnWriteArrayList<>();

	private final HttpServer server;

	private final CountDownLatch release = new CountDownLatch(1);

	WebhookReceiver(Function<Integer, Answer> script) throws IOException {
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		// A held request must not stop the next one from being served.
		server.setExecutor(Executors.newCachedThreadPool());
		server.createContext("/", exchange -> {
			int n;
			synchronized (requests) {
				n = requests.size();
				requests.add(new Received(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()),
						exchange.getRequestBody().readAllBytes()));
			}
			Answer answer = script.apply(n);
			if (answer.hold()) {
				try {
					release.await(5, TimeUnit.MINUTES);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			if (answer.location() != null) {
				exchange.getResponseHeaders().set("Location", answer.location());
			}
			exchange.sendResponseHeaders(answer.status(), -1);
			exchange.close();
		});
		server.start();
	}

	String url(String path) {
		return "http://127.0.0.1:" + server.getAddress().getPort() + path;
	}

	@Override
	public void close() {
		release.countDown();
		server.stop(0);
	}

}
