package hosting.aegir.backend.queue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import hosting.aegir.backend.engine.EngineRequest;

/**
 * Hides the values of an operation's secret variables (those its tasks declare
 * {@code no_log}) wherever a run might print them: log lines, event messages, outputs,
 * the failure reason.
 */
final class SecretMask {

	static final String MASK = "********";

	private final List<String> values;

	private SecretMask(List<String> values) {
		// Longest first, so a secret containing another is hidden whole.
		this.values = values.stream().distinct().sorted(Comparator.comparingInt(String::length).reversed()).toList();
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
		if (values.isEmpty()) {
			return result;
		}
		for (String secret : values) {
			if (result.contains(secret)) {
				result = result.replace(secret, MASK);
			}
		}
		return result;
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
