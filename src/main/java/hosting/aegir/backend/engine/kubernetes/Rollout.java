package hosting.aegir.backend.engine.kubernetes;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;

/**
 * Whether a Deployment's rollout is done, read from its status as the Deployment
 * controller sets it.
 */
final class Rollout {

	private Rollout() {
	}

	/**
	 * The controller has seen the current spec and every wanted replica is updated and
	 * available.
	 */
	static boolean available(Deployment deployment) {
		var status = deployment.getStatus();
		if (status == null) {
			return false;
		}
		long generation = deployment.getMetadata().getGeneration() == null ? 0
				: deployment.getMetadata().getGeneration();
		long observed = status.getObservedGeneration() == null ? -1 : status.getObservedGeneration();
		int wanted = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
		DeploymentCondition available = condition(deployment, "Available");
		return observed >= generation && available != null && "True".equals(available.getStatus())
				&& nonNull(status.getUpdatedReplicas()) >= wanted && nonNull(status.getAvailableReplicas()) >= wanted;
	}

	/** Why the rollout has given up, if it has (its progress deadline passed). */
	static String failure(Deployment deployment) {
		DeploymentCondition progressing = condition(deployment, "Progressing");
		if (progressing != null && "False".equals(progressing.getStatus())) {
			return progressing.getReason() + (progressing.getMessage() == null ? "" : ": " + progressing.getMessage());
		}
		return null;
	}

	private static int nonNull(Integer value) {
		return value == null ? 0 : value;
	}

	private static DeploymentCondition condition(Deployment deployment, String type) {
		if (deployment.getStatus() == null || deployment.getStatus().getConditions() == null) {
			return null;
		}
		return deployment.getStatus()
			.getConditions()
			.stream()
			.filter(c -> type.equals(c.getType()))
			.findFirst()
			.orElse(null);
	}

}
