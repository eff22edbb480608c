package hosting.aegir.backend.queue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import hosting.aegir.backend.engine.EngineRequest;

/**
 * Hides the values of an operation's secret variables (those its tasks declare
 * {@code no_log}), and the password of every URL written with credentials
 * ({@code scheme://user:password@host}, e.g. a site's database URL in drush's error
 * output), wherever a run might print them: log lines, event messages, outputs, the
 * failure reason. A URL keeps its scheme, user and host, so the text still says what
 * failed where.
 */
final class SecretMask {

	static final String MASK = "********";

	// The "://" of JSON that escapes slashes (PHP's json_encode, so drush's
	// --format=json).
	private static final String ESCAPED_SEPARATOR = ":\\/\\/";

	private final List<String> values;

	private SecretMask(List<String> values) {
		// Each value as given, as it appears percent-encoded in a URL, and as JSON writes
		// it
		// (drush --format=json, ansible's results: '\\', '"' and, from PHP, '/' escaped);
		// longest first, so a secret containing another is hidden whole.
		this.values = values.stream()
			.flatMap(value -> Stream.of(value, URLEncoder.encode(value, StandardCharsets.UTF_8),
					URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"), jsonEscaped(value),
					jsonEscaped(value).replace("/", "\\/")))
			.distinct()
			.sorted(Comparator.comparingInt(String::length).reversed())
			.toList();
	}

	private static String jsonEscaped(String value) {
		return value.replace("\\", "\\\\").replace("\"", "\\\"");
	}

	/** A mask for the values the request gives to the named secret variables. */
	static SecretMask of(List<String> names, EngineRequest request) {
		if (names.isEmpty()) {
			return new SecretMask(List.of());
		}
		List<String> values = new ArrayList<>();
		collect(request.vars(), names, values);
		request.tasks().forEach(task -> collect(task.vars(), names, values));
		return new SecretMask(values);
	}

	private static void collect(Map<String, Object> vars, List<String> names, List<String> values) {
		for (String name : names) {
			Object value = vars.get(name);
			if (value != null && !String.valueOf(value).isEmpty()) {
				values.add(String.valueOf(value));
			}
		}
	}

	/**
	 * The text with every secret value masked, and NUL (which PostgreSQL cannot store)
	 * shown as '?'.
	 */
	String apply(String text) {
		if (text == null) {
			return null;
		}
		String result = text.indexOf('\0') >= 0 ? text.replace('\0', '?') : text;
		for (String secret : values) {
			if (result.contains(secret)) {
				result = result.replace(secret, MASK);
			}
		}
		return maskUrlPasswords(result);
	}

	/**
	 * The text with the password of every {@code scheme://user:password@} masked. The
	 * password runs from the user's ':' to the last '@' before whitespace, so one holding
	 * '@', '/' or '%40' is hidden whole (at worst with more than the password). A scan,
	 * not a regular expression: linear on any line, however long.
	 */
	static String maskUrlPasswords(String text) {
		StringBuilder masked = null;
		int copied = 0;
		int from = 0;
		int separator;
		// The next of each kind of separator, looked up again only once passed: one pass
		// over the text for each.
		int plain = text.indexOf("://");
		int escaped = text.indexOf(ESCAPED_SEPARATOR);
		while (true) {
			if (plain >= 0 && plain < from) {
				plain = text.indexOf("://", from);
			}
			if (escaped >= 0 && escaped < from) {
				escaped = text.indexOf(ESCAPED_SEPARATOR, from);
			}
			separator = plain < 0 ? escaped : escaped < 0 ? plain : Math.min(plain, escaped);
			if (separator < 0) {
				break;
			}
			from = separator + (text.startsWith("://", separator) ? 3 : ESCAPED_SEPARATOR.length());
			if (separator == 0 || !isSchemeChar(text.charAt(separator - 1))) {
				continue;
			}
			int userEnd = from;
			while (userEnd < text.length() && !endsUser(text.charAt(userEnd))) {
				userEnd++;
			}
			if (userEnd >= text.length() || text.charAt(userEnd) != ':') {
				from = userEnd;
				continue;
			}
			int passwordStart = userEnd + 1;
			int runEnd = passwordStart;
			int at = -1;
			while (runEnd < text.length() && !Character.isWhitespace(text.charAt(runEnd))) {
				if (text.charAt(runEnd) == '@') {
					at = runEnd;
				}
				runEnd++;
			}
			if (at < 0) {
				from = runEnd;
				continue;
			}
			if (masked == null) {
				masked = new StringBuilder(text.length());
			}
			masked.append(text, copied, passwordStart).append(MASK);
			copied = at;
			from = at + 1;
		}
		return masked == null ? text : masked.append(text, copied, text.length()).toString();
	}

	private static boolean isSchemeChar(char c) {
		return c < 0x80 && (Character.isLetterOrDigit(c) || c == '+' || c == '.' || c == '-');
	}

	private static boolean endsUser(char c) {
		return c == ':' || c == '/' || c == '\\' || c == '?' || c == '#' || c == '@' || Character.isWhitespace(c);
	}

	Object apply(Object value) {
		if (value instanceof String text) {
			return apply(text);
		}
		if (value instanceof Map<?, ?> map) {
			Map<Object, Object> copy = new java.util.LinkedHashMap<>();
			map.forEach((k, v) -> copy.put(k, apply(v)));
			return copy;
		}
		if (value instanceof List<?> list) {
			return list.stream().map(this::apply).toList();
		}
		return value;
	}

}
