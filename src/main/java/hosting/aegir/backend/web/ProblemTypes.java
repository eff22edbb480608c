package hosting.aegir.backend.web;

import java.net.URI;

import org.springframework.http.HttpStatusCode;

/**
 * The stable {@code type} URIs of the API's problems, one per kind of error, so clients
 * can switch on them.
 */
public final class ProblemTypes {

	private static final String BASE = "https://aegir.hosting/problems/";

	public static final URI INVALID_REQUEST = URI.create(BASE + "invalid-request");

	public static final URI VALIDATION_FAILED = URI.create(BASE + "validation-failed");

	public static final URI NOT_FOUND = URI.create(BASE + "not-found");

	public static final URI IDEMPOTENCY_CONFLICT = URI.create(BASE + "idempotency-conflict");

	public static final URI PAYLOAD_TOO_LARGE = URI.create(BASE + "payload-too-large");

	public static final URI UNSUPPORTED_MEDIA_TYPE = URI.create(BASE + "unsupported-media-type");

	public static final URI NOT_ACCEPTABLE = URI.create(BASE + "not-acceptable");

	public static final URI METHOD_NOT_ALLOWED = URI.create(BASE + "method-not-allowed");

	public static final URI UNAUTHORIZED = URI.create(BASE + "unauthorized");

	public static final URI FORBIDDEN = URI.create(BASE + "forbidden");

	public static final URI UNPROCESSABLE = URI.create(BASE + "unprocessable");

	public static final URI ENGINE_UNAVAILABLE = URI.create(BASE + "engine-unavailable");

	public static final URI TASK_INVALID = URI.create(BASE + "task-invalid");

	/**
	 * {@code hosts} is a pattern, or not a host or group of the operator's inventory
	 * (422).
	 */
	public static final URI HOSTS_INVALID = URI.create(BASE + "hosts-invalid");

	/** The operator's inventory could not be read to check a submission (503). */
	public static final URI INVENTORY_UNAVAILABLE = URI.create(BASE + "inventory-unavailable");

	/** {@code callbackUrl} names a host outside the operator's allow-list (422). */
	public static final URI CALLBACK_NOT_ALLOWED = URI.create(BASE + "callback-not-allowed");

	/**
	 * This replica holds as many event streams as it may, or is shutting down (503, with
	 * Retry-After).
	 */
	public static final URI STREAM_UNAVAILABLE = URI.create(BASE + "stream-unavailable");

	public static final URI INTERNAL_ERROR = URI.create(BASE + "internal-error");

	public static final URI DATABASE_UNAVAILABLE = URI.create(BASE + "database-unavailable");

	private ProblemTypes() {
	}

	/** The type for a status when nothing more specific is known. */
	public static URI forStatus(HttpStatusCode status) {
		return switch (status.value()) {
			case 400 -> INVALID_REQUEST;
			case 401 -> UNAUTHORIZED;
			case 403 -> FORBIDDEN;
			case 404 -> NOT_FOUND;
			case 405 -> METHOD_NOT_ALLOWED;
			case 406 -> NOT_ACCEPTABLE;
			case 409 -> IDEMPOTENCY_CONFLICT;
			case 413 -> PAYLOAD_TOO_LARGE;
			case 415 -> UNSUPPORTED_MEDIA_TYPE;
			case 422 -> UNPROCESSABLE;
			default -> status.is5xxServerError() ? INTERNAL_ERROR : INVALID_REQUEST;
		};
	}

}
