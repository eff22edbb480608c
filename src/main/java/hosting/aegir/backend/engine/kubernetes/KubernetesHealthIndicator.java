package hosting.aegir.backend.engine.kubernetes;

import java.time.Duration;
import java.time.Instant;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of the Kubernetes engine: the API server answers, and the informers the runs
 * depend on are watching. DOWN says why. The check calls the API server, so its result is
 * kept for a while.
 */
class KubernetesHealthIndicator implements HealthIndicator {

	private static final Duration CACHE = Duration.ofSeconds(10);

	private final KubernetesClient client;

	private final ClusterWatch watch;

	private volatile Health cached;

	private volatile Instant checkedAt = Instant.MIN;

	KubernetesHealthIndicator(KubernetesClient client, ClusterWatch watch) {
		this.client = client;
		this.watch = watch;
	}

	@Override
	public Health health() {
		if (cached == null || Instant.now().isAfter(checkedAt.plus(CACHE))) {
			cached = check();
			checkedAt = Instant.now();
		}
		return cached;
	}

	private Health check() {
		String server = client.getConfiguration().getMasterUrl();
		VersionInfo version;
		try {
			version = client.getKubernetesVersion();
		}
		catch (RuntimeException ex) {
			return Health.down()
				.withDetail("server", server)
				.withDetail("reason", "the Kubernetes API server cannot be reached: " + ex.getMessage())
				.build();
		}
		var problem = watch.problem();
		if (problem.isPresent()) {
			return Health.down().withDetail("server", server).withDetail("reason", problem.get()).build();
		}
		return Health.up()
			.withDetail("server", server)
			.withDetail("version",
					version == null || version.getGitVersion() == null ? "unknown" : version.getGitVersion())
			.build();
	}

}
