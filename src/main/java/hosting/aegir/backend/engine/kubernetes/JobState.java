package hosting.aegir.backend.engine.kubernetes;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

/** Where a Job is, read from its conditions as the Job controller sets them. */
enum JobState {

	RUNNING, SUCCEEDED, FAILED, DELETED;

	static JobState of(Job job) {
		if (job == null) {
			return DELETED;
		}
		if (condition(job, "Complete") != null) {
			return SUCCEEDED;
		}
		if (condition(job, "Failed") != null) {
			return FAILED;
		}
		return RUNNING;
	}

	boolean finished() {
		return this != RUNNING;
	}

	/**
	 * The Failed condition's reason and message, e.g.
	 * {@code DeadlineExceeded: Job was active longer than ...}.
	 */
	static String failure(Job job) {
		JobCondition failed = condition(job, "Failed");
		if (failed == null) {
			return "no Failed condition";
		}
		return (failed.getReason() == null ? "Failed" : failed.getReason())
				+ (failed.getMessage() == null ? "" : ": " + failed.getMessage());
	}

	private static JobCondition condition(Job job, String type) {
		if (job.getStatus() == null || job.getStatus().getConditions() == null) {
			return null;
		}
		return job.getStatus()
			.getConditions()
			.stream()
			.filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
			.findFirst()
			.orElse(null);
	}

}
