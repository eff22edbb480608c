package hosting.aegir.backend.engine.kubernetes;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The names and labels the engine gives objects, and the checks a name from a request
 * must pass before it becomes part of one.
 */
final class Names {

	static final String MANAGED_BY = "app.kubernetes.io/managed-by";

	static final String MANAGER = "aegir-backend";

	static final String OPERATION = "aegir.hosting/operation";

	static final String TASK_INDEX = "aegir.hosting/task-index";

	static final String ATTEMPT = "aegir.hosting/attempt";

	static final String ENVIRONMENT = "aegir.hosting/environment";

	static final String COMPONENT = "app.kubernetes.io/component";

	static final String JOB_NAME = "batch.kubernetes.io/job-name";

	/** The container of a task Job whose log and termination message are the task's. */
	static final String TASK_CONTAINER = "task";

	// RFC 1123 label: what a namespace, a Service and a label value built from it must
	// be.
	private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

	// RFC 1123 subdomain: a host name in an Ingress.
	private static final Pattern SUBDOMAIN = Pattern
		.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

	// An image reference: [registry[:port]/]path[:tag][@digest], no whitespace, no empty
	// or dot-only segments.
	private static final Pattern IMAGE = Pattern.compile(
			"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?");

	// A database or user name a site's URL is built from: a plain identifier, nothing a
	// URL or SQL would read as syntax.
	private static final Pattern DATABASE_NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");

	private static final Pattern DATABASE_USER = Pattern.compile("[A-Za-z0-9_]{1,32}");

	/** MariaDB's own databases: no site is installed into them. */
	static final Set<String> PROTECTED_DATABASES = Set.of("mysql", "information_schema", "performance_schema", "sys");

	/** MariaDB's own users: no site connects as them. */
	static final Set<String> PROTECTED_USERS = Set.of("root", "mysql");

	/** The longest database password a request may give. */
	static final int MAX_DATABASE_PASSWORD = 128;

	/**
	 * The longest environment name: its objects add suffixes up to 9 characters to it,
	 * within 63.
	 */
	static final int MAX_ENVIRONMENT = 40;

	private Names() {
	}

	static boolean isLabel(String value) {
		return value != null && value.length() <= 63 && LABEL.matcher(value).matches();
	}

	static boolean isHostName(String value) {
		return value != null && value.length() <= 253 && SUBDOMAIN.matcher(value).matches();
	}

	static boolean isDatabaseName(String value) {
		return value != null && DATABASE_NAME.matcher(value).matches()
				&& !PROTECTED_DATABASES.contains(value.toLowerCase(Locale.ROOT));
	}

	static boolean isDatabaseUser(String value) {
		return value != null && DATABASE_USER.matcher(value).matches()
				&& !PROTECTED_USERS.contains(value.toLowerCase(Locale.ROOT));
	}

	/**
	 * 1 to {@value #MAX_DATABASE_PASSWORD} characters, none a control character: any
	 * other character is percent-encoded into the URL.
	 */
	static boolean isDatabasePassword(String value) {
		return value != null && !value.isEmpty() && value.length() <= MAX_DATABASE_PASSWORD
				&& value.chars().noneMatch(Character::isISOControl);
	}

	/**
	 * Whether the image is a plain reference under one of the prefixes (each taken to end
	 * at a '/').
	 */
	static boolean isAllowedImage(String image, List<String> prefixes) {
		if (image == null || image.length() > 255 || !IMAGE.matcher(image).matches()) {
			return false;
		}
		return prefixes.stream()
			.map(p -> p.endsWith("/") ? p : p + "/")
			.anyMatch(p -> image.startsWith(p) && image.length() > p.length());
	}

	/**
	 * The Job of one task of one attempt: the same on every replica and after every
	 * restart, so a second start of the same attempt finds the first one's Job instead of
	 * making another.
	 */
	static String job(UUID operation, int attempt, int taskIndex) {
		return "aegir-" + operation + "-" + attempt + "-" + taskIndex;
	}

}
