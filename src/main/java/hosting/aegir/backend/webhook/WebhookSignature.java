package hosting.aegir.backend.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook, as Stripe signs theirs: HMAC-SHA256 with the shared secret
 * over {@code <timestamp>.<body>}, hex-encoded, sent as
 * {@code Aegir-Webhook-Signature: v1=<hex>} beside
 * {@code Aegir-Webhook-Timestamp: <unix seconds>}. Signing the timestamp with the body
 * lets a receiver refuse replays of old deliveries.
 */
final class WebhookSignature {

	static final String TIMESTAMP_HEADER = "Aegir-Webhook-Timestamp";

	static final String SIGNATURE_HEADER = "Aegir-Webhook-Signature";

	static final String ID_HEADER = "Aegir-Webhook-Id";

	private WebhookSignature() {
	}

	/** The value of the signature header for this timestamp and body. */
	static String sign(String secret, long timestamp, byte[] body) {
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
			mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
			return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
		}
		catch (NoSuchAlgorithmException | InvalidKeyException ex) {
			throw new IllegalStateException("every JVM has HmacSHA256", ex);
		}
	}

}
