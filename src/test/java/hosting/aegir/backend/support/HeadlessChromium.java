package hosting.aegir.backend.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Debian's Chromium, headless, driven over the Chrome DevTools Protocol with nothing but
 * the JDK (its HttpClient and WebSocket): navigate, evaluate JavaScript, click and type
 * as input events, take screenshots. The browser gets a fresh profile, no background
 * networking, and a host resolver that knows only 127.0.0.1, so nothing leaves the
 * machine.
 */
public final class HeadlessChromium implements AutoCloseable {

	/** Where the browser is expected; AEGIR_CHROMIUM names another. */
	public static final Path BINARY = Path.of(System.getenv().getOrDefault("AEGIR_CHROMIUM", "/usr/bin/chromium"));

	private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

	private final JsonMapper json = JsonMapper.builder().build();

	private final Path profile;

	private final Process process;

	private final WebSocket socket;

	private final AtomicInteger ids = new AtomicInteger();

	private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

	private HeadlessChromium(Path profile, Process process, WebSocket socket) {
		this.profile = profile;
		this.process = process;
		this.socket = socket;
	}

	/**
	 * Starts the browser with one blank page of the given size and connects to that page.
	 */
	public static HeadlessChromium start(int width, int height) throws IOException, InterruptedException {
		if (!Files.isExecutable(BINARY)) {
			throw new IllegalStateException(BINARY + " is missing: install Debian's chromium (.ci/run does)");
		}
		Path profile = Files.createTempDirectory("aegir-chromium-");
		Process process = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
				"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
				"--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
				"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--user-data-dir=" + profile,
				"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
				"--window-size=" + width + "," + height, "about:blank")
			.redirectErrorStream(true)
			.redirectOutput(profile.resolve("chromium.log").toFile())
			.start();
		try {
			Path portFile = profile.resolve("DevToolsActivePort");
			Awaitility.await("Chromium announces its DevTools port (log: " + profile.resolve("chromium.log") + ")")
				.atMost(Duration.ofSeconds(60))
				.until(() -> Files.exists(portFile) && readLines(portFile).size() >= 2);
			int port = Integer.parseInt(readLines(portFile).get(0).strip());
			HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
			JsonMapper json = JsonMapper.builder().build();
			String[] pageSocket = { null };
			Awaitility.await("Chromium lists its page").atMost(Duration.ofSeconds(30)).until(() -> {
				try {
					for (JsonNode target : json.readTree(get(http, "http://127.0.0.1:" + port + "/json/list"))) {
						if (target.path("type").asString().equals("page")) {
							pageSocket[0] = target.path("webSocketDebuggerUrl").asString();
							return true;
						}
					}
				}
				catch (IllegalStateException ex) {
					// Not listening yet.
				}
				return false;
			});
			HeadlessChromium[] browser = { null };
			List<CharSequence> parts = new ArrayList<>();
			WebSocket socket = http.newWebSocketBuilder()
				.connectTimeout(Duration.ofSeconds(10))
				.buildAsync(URI.create(pageSocket[0]), new WebSocket.Listener() {
					@Override
					public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
						parts.add(data.toString());
						if (last) {
							String message = String.join("", parts);
							parts.clear();
							browser[0].received(message);
						}
						ws.request(1);
						return null;
					}
				})
				.get(30, TimeUnit.SECONDS);
			browser[0] = new HeadlessChromium(profile, process, socket);
			browser[0].call("Page.enable", Map.of());
			browser[0].call("Runtime.enable", Map.of());
			browser[0].call("Emulation.setDeviceMetricsOverride",
					Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
			return browser[0];
		}
		catch (RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
			stop(process);
			delete(profile);
			throw new IllegalStateException("could not drive Chromium: " + ex.getMessage(), ex);
		}
	}

	private void received(String message) {
		JsonNode node = json.readTree(message);
		if (node.has("id")) {
			CompletableFuture<JsonNode> call = pending.remove(node.get("id").asInt());
			if (call != null) {
				call.complete(node);
			}
		}
	}

	/**
	 * Sends a DevTools command and returns its result; a protocol error is an exception.
	 */
	public JsonNode call(String method, Map<String, ?> params) {
		int id = ids.incrementAndGet();
		CompletableFuture<JsonNode> answer = new CompletableFuture<>();
		pending.put(id, answer);
		socket.sendText(json.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true).join();
		try {
			JsonNode response = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			if (response.has("error")) {
				throw new IllegalStateException(method + ": " + response.get("error"));
			}
			return response.path("result");
		}
		catch (Exception ex) {
			throw new IllegalStateException(method + " failed: " + ex.getMessage(), ex);
		}
		finally {
			pending.remove(id);
		}
	}

	public void navigate(String url) {
		call("Page.navigate", Map.of("url", url));
	}

	/** Evaluates a JavaScript expression in the page and returns its value (as JSON). */
	public JsonNode eval(String expression) {
		JsonNode result = call("Runtime.evaluate",
				Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
		if (result.has("exceptionDetails")) {
			throw new IllegalStateException("JavaScript failed: " + result.get("exceptionDetails"));
		}
		return result.path("result").path("value");
	}

	/** Waits until the page has an element matching the CSS selector. */
	public void await(String what, String selector) {
		Awaitility.await(what + " (" + selector + ")")
			.atMost(Duration.ofSeconds(60))
			.until(() -> eval("document.querySelector(" + quote(selector) + ") !== null").asBoolean());
	}

	/**
	 * Clicks the element's centre with the mouse, as a person would, after scrolling it
	 * into view.
	 */
	public void click(String selector) {
		await("something to click", selector);
		JsonNode box = eval("(() => { const e = document.querySelector(" + quote(selector) + ");"
				+ " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
				+ " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
		double x = box.get("x").asDouble();
		double y = box.get("y").asDouble();
		call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", x, "y", y));
		call("Input.dispatchMouseEvent",
				Map.of("type", "mousePressed", "x", x, "y", y, "button", "left", "clickCount", 1));
		call("Input.dispatchMouseEvent",
				Map.of("type", "mouseReleased", "x", x, "y", y, "button", "left", "clickCount", 1));
	}

	/**
	 * Focuses the field and types the text into it (keyboard input, not a script setting
	 * its value).
	 */
	public void type(String selector, String text) {
		click(selector);
		call("Input.insertText", Map.of("text", text));
	}

	/** The text the element shows, or null when there is none. */
	public String text(String selector) {
		JsonNode text = eval("(() => { const e = document.querySelector(" + quote(selector)
				+ "); return e ? e.innerText : null; })()");
		return text.isNull() ? null : text.asString();
	}

	/** A PNG of the page: the viewport, or the whole page when full. */
	public void screenshot(Path file, boolean full) throws IOException {
		Map<String, Object> params = full ? Map.of("format", "png", "captureBeyondViewport", true)
				: Map.of("format", "png");
		byte[] png = Base64.getDecoder().decode(call("Page.captureScreenshot", params).get("data").asString());
		Files.createDirectories(file.toAbsolutePath().getParent());
		Files.write(file, png);
	}

	@Override
	public void close() {
		try {
			socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			// The browser is stopped below in any case.
		}
		stop(process);
		delete(profile);
	}

	private static void stop(Process process) {
		List<ProcessHandle> children = process.descendants().toList();
		process.destroy();
		try {
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
				process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
		}
		children.forEach(ProcessHandle::destroyForcibly);
	}

	private static void delete(Path dir) {
		try (Stream<Path> files = Files.walk(dir)) {
			files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
		}
		catch (IOException ex) {
			// A temporary directory left behind is harmless.
		}
	}

	private static List<String> readLines(Path file) {
		try {
			return Files.readAllLines(file);
		}
		catch (IOException ex) {
			return List.of();
		}
	}

	private static String get(HttpClient http, String url) {
		try {
			return http
				.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
						HttpResponse.BodyHandlers.ofString())
				.body();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** A JavaScript string literal of the text. */
	public static String quote(String text) {
		return JsonMapper.builder().build().writeValueAsString(text);
	}

}
