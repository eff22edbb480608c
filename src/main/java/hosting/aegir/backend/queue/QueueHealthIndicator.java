package hosting.aegir.backend.queue;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of this replica's executor: DOWN when its dispatch loop has died or stopped
 * going round, so a replica that can no longer claim work is taken out of rotation
 * instead of looking healthy.
 */
@Component("queue")
class QueueHealthIndicator implements HealthIndicator {

	private final QueueWorker worker;

	QueueHealthIndicator(QueueWorker worker) {
		this.worker = worker;
	}

	@Override
	public Health health() {
		Health.Builder health = worker.dispatcherAlive() ? Health.up() : Health.down();
		return health.withDetail("busySlots", worker.busySlots()).build();
	}

}
