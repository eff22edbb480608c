package hosting.aegir.backend.operation;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/** Checks {@link VarNames}; names the first offending key in the message. */
class VarNamesValidator implements ConstraintValidator<VarNames, Map<String, ?>> {

	private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}");

	// Ansible's magic variables and keywords a client could use to steer the run itself.
	private static final Set<String> RESERVED = Set.of("hostvars", "groups", "group_names", "inventory_hostname",
			"inventory_hostname_short", "inventory_dir", "inventory_file", "playbook_dir", "role_path", "role_name",
			"omit", "environment", "vars", "lookup", "query", "q", "become", "become_user", "become_method");

	@Override
	public boolean isValid(Map<String, ?> vars, ConstraintValidatorContext context) {
		if (vars == null) {
			return true;
		}
		for (String key : vars.keySet()) {
			String lower = key.toLowerCase(Locale.ROOT);
			// ansible_*: connection, interpreter and privilege settings; become*: every
			// privilege keyword, present and future (become_flags, become_exe, ...).
			if (!NAME.matcher(key).matches() || lower.startsWith("ansible_") || lower.startsWith("become")
					|| RESERVED.contains(key)) {
				context.disableDefaultConstraintViolation();
				context
					.buildConstraintViolationWithTemplate("key '" + sanitize(key)
							+ "' is not allowed: {jakarta.validation.constraints.VarNames.detail}")
					.addConstraintViolation();
				return false;
			}
		}
		return true;
	}

	// The key is echoed back in the problem; keep it short and printable, and free of EL
	// syntax.
	private static String sanitize(String key) {
		String printable = key.replaceAll("[^\\x20-\\x7e]", "?").replaceAll("[{}$#\\\\]", "?");
		return printable.length() > 40 ? printable.substring(0, 40) + "…" : printable;
	}

}
