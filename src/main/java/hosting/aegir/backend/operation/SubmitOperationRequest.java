package hosting.aegir.backend.operation;

import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** The body of {@code POST /api/v1/operations}. */
@Schema(name = "SubmitOperation", description = "An operation to run: ordered tasks on hosts, serialised per target")
public record SubmitOperationRequest(
		@Schema(description = "Free label from the front-end", example = "site.backup") @NotBlank @Size(
				max = 100) @Pattern(regexp = "[a-z0-9][a-z0-9._-]*",
						message = "must be lower-case letters, digits, '.', '_' or '-'") String type,

		@Schema(allowableValues = {
				"ansible", "kubernetes" }, example = "ansible") @NotNull @Pattern(regexp = "ansible|kubernetes",
						message = "must be 'ansible' or 'kubernetes'") String engine,

		@Schema(description = "Serialisation key: two operations with one target never run at once (e.g. the site's UUID)",
				example = "site-3f2a9c1e") @NotBlank @Size(max = 200) @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:@/-]*",
						message = "must start with a letter or digit and contain only letters, digits and . _ : @ / -") String target,

		@Schema(description = "Ansible: the names of inventory hosts or groups, comma-separated (patterns such as 'all' or "
				+ "'web*' only where the operator allows them); Kubernetes: the namespace",
				example = "localhost") @NotBlank @Size(max = 255) @Pattern(regexp = "[A-Za-z0-9_.:*!&,\\[\\]-]+",
						message = "must be an inventory pattern (letters, digits and _ . : * ! & , [ ] -)") String hosts,

		@Schema(description = "Variables shared by all tasks",
				example = "{\"site_uri\": \"example.org\"}") @VarNames Map<String, Object> vars,

		@NotEmpty @Size(max = 50) List<@NotNull @Valid TaskRequest> tasks,

		@Schema(description = "Seconds before the run is stopped and the operation ends TIMED_OUT (default: aegir.executor.default-timeout)",
				example = "3600") @Min(1) @Max(604800) Integer timeoutSeconds,

		@Schema(description = "Re-queue (rather than fail) when the executor running it is lost",
				defaultValue = "false") Boolean retry,

		@Schema(description = "Attempts allowed when retry is true",
				defaultValue = "3") @Min(1) @Max(10) Integer maxAttempts,

		@Schema(description = "Where to POST the operation, signed, once it is finished (its host must be in the "
				+ "operator's aegir.webhooks.allowed-hosts)",
				example = "https://aegir.example.org/aegir/webhook") @Size(max = 2000) @Pattern(
						regexp = "[hH][tT][tT][pP][sS]?://[^\\s]+",
						message = "must be an absolute http(s) URL") String callbackUrl,

		@Schema(description = "A dry run: Ansible runs with --check --diff, so nothing changes and the events say what "
				+ "would (changed tasks, diffs); the kubernetes engine refuses it (422)",
				defaultValue = "false") Boolean check,

		// Range checked by SubmissionPolicy, not bean validation: a value outside it is a
		// 422 naming the field.
		@Schema(description = "How much the run says, AWX's convention: 0 (default) to 4, passed as -v to -vvvv",
				minimum = "0", maximum = "4", defaultValue = "0", example = "0") Integer verbosity){

	/** A request without a callback. */
	public SubmitOperationRequest(String type, String engine, String target, String hosts, Map<String, Object> vars,
			List<TaskRequest> tasks, Integer timeoutSeconds, Boolean retry, Integer maxAttempts) {
		this(type, engine, target, hosts, vars, tasks, timeoutSeconds, retry, maxAttempts, null);
	}

	/** A real, quiet run (no dry run, verbosity 0). */
	public SubmitOperationRequest(String type, String engine, String target, String hosts, Map<String, Object> vars,
			List<TaskRequest> tasks, Integer timeoutSeconds, Boolean retry, Integer maxAttempts, String callbackUrl) {
		this(type, engine, target, hosts, vars, tasks, timeoutSeconds, retry, maxAttempts, callbackUrl, null, null);
	}

	/** One task of the request. */
	@Schema(name = "TaskRequest")
	public record TaskRequest(
			@Schema(description = "A catalog task", example = "aegir.GenerateDrupalSiteBackup") @NotBlank @Size(
					max = 150) @Pattern(regexp = "[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*",
							message = "must be a task name such as aegir.WriteNginxVhost") String name,

			@Schema(description = "Variables for this task only, over the operation's",
					example = "{\"backup_dir\": \"/var/aegir/backups\"}") @VarNames Map<String, Object> vars,

			@Schema(description = "A task file of the role to run instead of main (see taskFiles in GET /api/v1/tasks)",
					example = "main") @Size(max = 100) @Pattern(regexp = "[A-Za-z0-9_-]+",
							message = "must be a task file name (letters, digits, '_' or '-')") String tasksFrom) {
	}

}
