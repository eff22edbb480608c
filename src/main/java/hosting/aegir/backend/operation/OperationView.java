package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * An operation as the API shows it: its request, its state, its outputs and the status of
 * each task.
 */
@Schema(name = "Operation")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OperationView(UUID id, @Schema(example = "site.backup") String type,
		@Schema(example = "ansible") String engine, @Schema(example = "site-3f2a9c1e") String target,
		@Schema(example = "localhost") String hosts, Map<String, Object> vars, List<TaskView> tasks,
		OperationStatus status, @Schema(description = "Exit code of the engine run, once finished") Integer exitCode,
		@Schema(description = "Why it failed, timed out or was cancelled",
				example = "task 'Dump the site' failed on localhost: drush exited 1") String reason,
		@Schema(description = "Data the run returned (Ansible set_stats, Kubernetes termination message)",
				example = "{\"backup_path\": \"/var/aegir/backups/example.org-20261125T101500Z.tar.gz\"}") Map<String, Object> outputs,
		int timeoutSeconds, boolean retry, int maxAttempts,
		@Schema(description = "How many times an executor has claimed it") int attempt,
		@Schema(description = "The replica that runs or ran it") String claimedBy, OffsetDateTime heartbeatAt,
		OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
		@Schema(description = "Where the finished operation is POSTed",
				example = "https://aegir.example.org/aegir/webhook") String callbackUrl,
		@Schema(description = "The webhook delivery, once the operation is finished and has a callbackUrl") CallbackDelivery callback,
		@Schema(description = "A dry run (ansible-playbook --check --diff): nothing was to change") boolean check,
		@Schema(description = "Verbosity of the run, 0 to 4 (-v to -vvvv)") int verbosity) {

	/** A real, quiet run's view. */
	public OperationView(UUID id, String type, String engine, String target, String hosts, Map<String, Object> vars,
			List<TaskView> tasks, OperationStatus status, Integer exitCode, String reason, Map<String, Object> outputs,
			int timeoutSeconds, boolean retry, int maxAttempts, int attempt, String claimedBy,
			OffsetDateTime heartbeatAt, OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
			String callbackUrl, CallbackDelivery callback) {
		this(id, type, engine, target, hosts, vars, tasks, status, exitCode, reason, outputs, timeoutSeconds, retry,
				maxAttempts, attempt, claimedBy, heartbeatAt, createdAt, startedAt, finishedAt, callbackUrl, callback,
				false, 0);
	}

	/**
	 * This view without the delivery state: what a webhook posts (it would change with
	 * every attempt).
	 */
	public OperationView withoutCallbackState() {
		return new OperationView(id, type, engine, target, hosts, vars, tasks, status, exitCode, reason, outputs,
				timeoutSeconds, retry, maxAttempts, attempt, claimedBy, heartbeatAt, createdAt, startedAt, finishedAt,
				callbackUrl, null, check, verbosity);
	}

	/**
	 * This view with the named outputs shown as {@code ********} (secret outputs, for a
	 * viewer).
	 */
	public OperationView withOutputsMasked(java.util.Set<String> names) {
		if (outputs == null || names.stream().noneMatch(outputs::containsKey)) {
			return this;
		}
		Map<String, Object> masked = new java.util.LinkedHashMap<>(outputs);
		names.stream().filter(masked::containsKey).forEach(name -> masked.put(name, "********"));
		return new OperationView(id, type, engine, target, hosts, vars, tasks, status, exitCode, reason, masked,
				timeoutSeconds, retry, maxAttempts, attempt, claimedBy, heartbeatAt, createdAt, startedAt, finishedAt,
				callbackUrl, callback, check, verbosity);
	}

	/** A task of the operation with the status its engine events give it. */
	@Schema(name = "Task")
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record TaskView(int index, @Schema(example = "aegir.GenerateDrupalSiteBackup") String name,
			Map<String, Object> vars, String tasksFrom, TaskStatus status,
			@Schema(description = "Results reported for this task (one per host and task)") int results,
			@Schema(description = "Results that changed something") int changed) {
	}

	/** Per-task progress, derived from the task events and the operation's state. */
	public enum TaskStatus {

		PENDING, RUNNING, SUCCEEDED, FAILED, NOT_RUN

	}

}
