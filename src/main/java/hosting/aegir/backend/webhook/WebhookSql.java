package hosting.aegir.backend.webhook;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import hosting.aegir.backend.operation.CallbackDeliveries;
import hosting.aegir.backend.operation.CallbackDelivery;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Every statement on {@code webhook_delivery}, in one place. Deliveries are created by a
 * trigger in the transaction that ends their operation (see V6__push.sql) and then kept
 * like the queue keeps operations: claimed with {@code FOR UPDATE SKIP LOCKED} under a
 * lease, every outcome written only by the claim that made the attempt
 * ({@code claimed_by} and {@code attempts} fence it), and a claim whose lease ran out
 * (its replica died) returned to PENDING by whichever replica looks next. Times are the
 * database's.
 */
@Repository
class WebhookSql implements CallbackDeliveries {

	/**
	 * Channel on which the trigger announces a new delivery (payload: the operation id).
	 */
	static final String CHANNEL = "aegir_webhook";

	private final JdbcClient jdbc;

	WebhookSql(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** A delivery this replica has claimed for one attempt. */
	record Claimed(UUID id, UUID operationId, String url, int attempt, OffsetDateTime createdAt) {
	}

	/**
	 * Claims up to {@code limit} due deliveries, oldest due first, for one attempt each.
	 */
	List<Claimed> claim(String replica, Duration lease, int limit) {
		if (limit <= 0) {
			return List.of();
		}
		return jdbc.sql("""
				UPDATE webhook_delivery d
				   SET state = 'DELIVERING', claimed_by = :replica, attempts = d.attempts + 1,
				       lease_until = now() + make_interval(secs => :leaseSeconds)
				 WHERE d.id IN (SELECT id FROM webhook_delivery
				                 WHERE state = 'PENDING' AND next_attempt_at <= now()
				                 ORDER BY next_attempt_at
				                 LIMIT :limit
				                   FOR UPDATE SKIP LOCKED)
				RETURNING d.id, d.operation_id, d.url, d.attempts, d.created_at
				""")
			.param("replica", replica)
			.param("leaseSeconds", lease.toMillis() / 1000.0)
			.param("limit", limit)
			.query((rs, n) -> new Claimed(rs.getObject("id", UUID.class), rs.getObject("operation_id", UUID.class),
					rs.getString("url"), rs.getInt("attempts"), rs.getObject("created_at", OffsetDateTime.class)))
			.list();
	}

	/**
	 * The attempt got a 2xx: done. False when the claim was no longer ours (lease lost).
	 */
	boolean delivered(Claimed claim, String replica, int statusCode) {
		return jdbc.sql("""
				UPDATE webhook_delivery
				   SET state = 'DELIVERED', delivered_at = now(), last_status_code = :code, last_error = NULL,
				       lease_until = NULL
				 WHERE id = :id AND claimed_by = :replica AND attempts = :attempt AND state = 'DELIVERING'
				""")
			.param("id", claim.id())
			.param("replica", replica)
			.param("attempt", claim.attempt())
			.param("code", statusCode)
			.update() == 1;
	}

	/**
	 * The attempt failed: due again after {@code backoff}, or FAILED when that would be
	 * later than {@code retryFor} after the delivery was created.
	 */
	boolean failed(Claimed claim, String replica, Integer statusCode, String error, Duration backoff,
			Duration retryFor) {
		return jdbc
			.sql("""
					UPDATE webhook_delivery
					   SET state = CASE WHEN now() + make_interval(secs => :backoff) > created_at + make_interval(secs => :retryFor)
					                    THEN 'FAILED' ELSE 'PENDING' END,
					       next_attempt_at = now() + make_interval(secs => :backoff),
					       last_status_code = :code, last_error = :error, lease_until = NULL
					 WHERE id = :id AND claimed_by = :replica AND attempts = :attempt AND state = 'DELIVERING'
					""")
			.param("id", claim.id())
			.param("replica", replica)
			.param("attempt", claim.attempt())
			.param("code", statusCode)
			.param("error", error)
			.param("backoff", backoff.toMillis() / 1000.0)
			.param("retryFor", retryFor.toMillis() / 1000.0)
			.update() == 1;
	}

	/** Gives up at once (the host is no longer allowed, say). */
	boolean abandon(Claimed claim, String replica, String error) {
		return jdbc.sql("""
				UPDATE webhook_delivery SET state = 'FAILED', last_error = :error, lease_until = NULL
				 WHERE id = :id AND claimed_by = :replica AND attempts = :attempt AND state = 'DELIVERING'
				""")
			.param("id", claim.id())
			.param("replica", replica)
			.param("attempt", claim.attempt())
			.param("error", error)
			.update() == 1;
	}

	/**
	 * Claims whose lease ran out lost their replica: due again now, unless retrying has
	 * gone on for {@code retryFor} (a delivery whose every attempt kills its replica must
	 * end too). Returns how many.
	 */
	int reapExpiredLeases(Duration retryFor) {
		return jdbc
			.sql("""
					UPDATE webhook_delivery
					   SET state = CASE WHEN now() > created_at + make_interval(secs => :retryFor) THEN 'FAILED' ELSE 'PENDING' END,
					       next_attempt_at = now(), lease_until = NULL,
					       last_error = 'replica ' || claimed_by || ' stopped during attempt ' || attempts
					 WHERE id IN (SELECT id FROM webhook_delivery
					               WHERE state = 'DELIVERING' AND lease_until < now()
					                 FOR UPDATE SKIP LOCKED)
					""")
			.param("retryFor", retryFor.toMillis() / 1000.0)
			.update();
	}

	@Override
	public Optional<CallbackDelivery> of(UUID operationId) {
		return jdbc.sql("""
				SELECT id, state, attempts, last_status_code, last_error, next_attempt_at, delivered_at
				  FROM webhook_delivery WHERE operation_id = :id
				""").param("id", operationId).query((rs, n) -> {
			CallbackDelivery.State state = CallbackDelivery.State.valueOf(rs.getString("state"));
			return new CallbackDelivery(rs.getObject("id", UUID.class).toString(), state, rs.getInt("attempts"),
					(Integer) rs.getObject("last_status_code"), rs.getString("last_error"),
					state == CallbackDelivery.State.PENDING ? rs.getObject("next_attempt_at", OffsetDateTime.class)
							: null,
					rs.getObject("delivered_at", OffsetDateTime.class));
		}).optional();
	}

}
