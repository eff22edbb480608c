package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** The delivery of an operation's webhook, as its view shows it. */
@Schema(name = "CallbackDelivery", description = "The POST of the finished operation to its callbackUrl")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CallbackDelivery(
		@Schema(description = "Delivery id, sent as Aegir-Webhook-Id (receivers use it to drop repeats)") String id,
		State state, @Schema(description = "POSTs tried so far") int attempts,
		@Schema(description = "HTTP status of the last attempt's response", example = "200") Integer lastStatusCode,
		@Schema(description = "Why the last attempt failed", example = "HTTP 500") String lastError,
		@Schema(description = "When the next attempt is due, while PENDING") OffsetDateTime nextAttemptAt,
		OffsetDateTime deliveredAt) {

	/**
	 * PENDING (due or waiting to retry), DELIVERING (a replica is posting it), DELIVERED
	 * (2xx), FAILED (gave up).
	 */
	public enum State {

		PENDING, DELIVERING, DELIVERED, FAILED

	}

}
