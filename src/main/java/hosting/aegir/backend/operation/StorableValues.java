package hosting.aegir.backend.operation;

import java.util.List;
import java.util.Map;

import hosting.aegir.backend.operation.OperationRejectedException.Violation;

/**
 * Finds values PostgreSQL cannot store as given: a NUL character ({@code jsonb} and
 * {@code text} refuse it), an unpaired UTF-16 surrogate (not Unicode; it would be stored
 * as something else), a number JSON cannot hold (a float that overflowed to infinity).
 * Such input is malformed, so the request is refused (400) naming the field, before
 * anything is stored.
 */
final class StorableValues {

	private StorableValues() {
	}

	/**
	 * The first problem in the value, or null. {@code field} names the value for the
	 * message.
	 */
	static Violation problem(String field, Object value) {
		// Nearly every value is storable: check that first without naming anything, and
		// build the field names (an escaped copy of each key) only to say where a problem
		// is.
		return storable(value) ? null : locate(field, value);
	}

	private static boolean storable(Object value) {
		if (value instanceof String text) {
			return problem(text) == null;
		}
		if (value instanceof Double number) {
			return Double.isFinite(number);
		}
		if (value instanceof Float f) {
			return Float.isFinite(f);
		}
		if (value instanceof Map<?, ?> map) {
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				if (problem(String.valueOf(entry.getKey())) != null || !storable(entry.getValue())) {
					return false;
				}
			}
		}
		if (value instanceof List<?> list) {
			for (Object element : list) {
				if (!storable(element)) {
					return false;
				}
			}
		}
		return true;
	}

	private static Violation locate(String field, Object value) {
		if (value instanceof String text) {
			String problem = problem(text);
			return problem == null ? null : new Violation(field, problem);
		}
		if (value instanceof Double number && !Double.isFinite(number)
				|| value instanceof Float f && !Float.isFinite(f)) {
			return new Violation(field, "is a number out of range");
		}
		if (value instanceof Map<?, ?> map) {
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				String key = String.valueOf(entry.getKey());
				String keyProblem = problem(key);
				if (keyProblem != null) {
					return new Violation(field + "." + printable(key), "has a key that " + keyProblem);
				}
				Violation inner = locate(field + "." + printable(key), entry.getValue());
				if (inner != null) {
					return inner;
				}
			}
		}
		if (value instanceof List<?> list) {
			for (int i = 0; i < list.size(); i++) {
				Violation inner = locate(field + "[" + i + "]", list.get(i));
				if (inner != null) {
					return inner;
				}
			}
		}
		return null;
	}

	private static String problem(String text) {
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '\0') {
				return "must not contain the NUL character (\\u0000)";
			}
			if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
				i++;
			}
			else if (Character.isSurrogate(c)) {
				return "must be valid Unicode (it holds an unpaired surrogate)";
			}
		}
		return null;
	}

	// A field name echoed in a problem: short, printable, never the raw input.
	private static String printable(String key) {
		StringBuilder out = new StringBuilder();
		key.codePoints().limit(60).forEach(cp -> {
			if (cp < 0x20 || cp == 0x7f || Character.isSurrogate((char) cp) && cp <= 0xffff) {
				out.append(String.format("\\u%04x", cp));
			}
			else {
				out.appendCodePoint(cp);
			}
		});
		return out.toString();
	}

}
