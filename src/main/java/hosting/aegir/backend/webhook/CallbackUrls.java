package hosting.aegir.backend.webhook;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

import hosting.aegir.backend.operation.CallbackPolicy;
import hosting.aegir.backend.operation.OperationRejectedException;
import hosting.aegir.backend.operation.OperationRejectedException.Kind;
import hosting.aegir.backend.operation.OperationRejectedException.Violation;

import org.springframework.stereotype.Component;

/**
 * The operator's allow-list of callback hosts, applied when an operation is submitted
 * (422 naming {@code callbackUrl}) and again before every delivery, so a host removed
 * from the list is never called, whatever was accepted before.
 */
@Component
class CallbackUrls implements CallbackPolicy {

	private final WebhookProperties properties;

	CallbackUrls(WebhookProperties properties) {
		this.properties = properties;
	}

	@Override
	public String check(String callbackUrl) {
		URI uri;
		try {
			uri = new URI(callbackUrl);
		}
		catch (URISyntaxException ex) {
			throw refused("is not a valid URL");
		}
		String refusal = refusal(uri);
		if (refusal != null) {
			throw refused(refusal);
		}
		return uri.toString();
	}

	/** Why this URL may not be called now, or null when it may. */
	String refusal(URI uri) {
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
		if (!scheme.equals("https") && !(scheme.equals("http") && properties.allowHttp())) {
			return properties.allowHttp() ? "must be an http or https URL" : "must be an https URL";
		}
		if (uri.getRawUserInfo() != null) {
			return "must not carry credentials in the URL";
		}
		if (uri.getHost() == null || uri.getRawFragment() != null) {
			return "must be an absolute URL with a host and no fragment";
		}
		if (properties.allowedHosts().isEmpty()) {
			return "callbacks are not enabled on this service (aegir.webhooks.allowed-hosts is empty)";
		}
		String host = uri.getHost().toLowerCase(Locale.ROOT);
		int defaultPort = scheme.equals("https") ? 443 : 80;
		int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort;
		if (!allowed(host, port, defaultPort, properties.allowedHosts())) {
			return "host " + host + (uri.getPort() >= 0 ? ":" + port : "") + " is not in the operator's allow-list";
		}
		return null;
	}

	// An entry is "host" (the scheme's default port only), "host:port", or "host:*" (any
	// port, which
	// the operator must ask for: a bare host that allowed every port would let a
	// submitter reach any
	// service on that host, ssh or a database included).
	private static boolean allowed(String host, int port, int defaultPort, List<String> entries) {
		for (String entry : entries) {
			String e = entry.strip().toLowerCase(Locale.ROOT);
			int colon = e.lastIndexOf(':');
			String suffix = colon > 0 ? e.substring(colon + 1) : "";
			// host:port or host:*, but not a bare IPv6 literal such as [::1]
			if (colon > 0 && !e.endsWith("]")
					&& (suffix.equals("*") || (!suffix.isEmpty() && suffix.chars().allMatch(Character::isDigit)))) {
				if (e.substring(0, colon).equals(host) && (suffix.equals("*") || Integer.parseInt(suffix) == port)) {
					return true;
				}
			}
			else if (e.equals(host) && port == defaultPort) {
				return true;
			}
		}
		return false;
	}

	private static OperationRejectedException refused(String message) {
		return new OperationRejectedException(Kind.CALLBACK_NOT_ALLOWED, "callbackUrl: " + message,
				List.of(new Violation("callbackUrl", message)));
	}

}
