package hosting.aegir.backend.catalog;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A variable's value that is an output of an earlier task of the same operation:
 * {@code {"fromOutput": {"task": 0, "name": "backup_path"}}}. An explicit shape, never a
 * template string: the engine resolves it at run time from what the earlier task
 * returned.
 *
 * @param task the index of the earlier task in the operation
 * @param name the output's name, as the earlier task's catalog entry declares it
 */
public record OutputReference(int task, String name) {

	/** The key that marks a reference. */
	public static final String KEY = "fromOutput";

	private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,99}");

	public OutputReference {
		if (task < 0 || name == null || !NAME.matcher(name).matches()) {
			throw new IllegalArgumentException("not an output reference");
		}
	}

	/**
	 * Whether the value has the shape of a reference (a one-key object with
	 * {@value #KEY}), valid or not.
	 */
	public static boolean isReference(Object value) {
		return value instanceof Map<?, ?> map && map.size() == 1 && map.containsKey(KEY);
	}

	/** The reference in the value, if it is a well-formed one. */
	public static Optional<OutputReference> of(Object value) {
		if (!isReference(value) || !(((Map<?, ?>) value).get(KEY) instanceof Map<?, ?> ref) || ref.size() != 2) {
			return Optional.empty();
		}
		if (!(ref.get("task") instanceof Integer task) || !(ref.get("name") instanceof String name)) {
			return Optional.empty();
		}
		if (task < 0 || !NAME.matcher(name).matches()) {
			return Optional.empty();
		}
		return Optional.of(new OutputReference(task, name));
	}

}
