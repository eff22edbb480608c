package hosting.aegir.backend.operation;

import java.util.List;

import hosting.aegir.backend.queue.ExecutorProperties;

import org.springframework.stereotype.Component;

/** Turns a submitted request into the operation to store: applies defaults, checks what needs configuration to check. */
@Component
public class SubmissionPolicy {

	private static final int DEFAULT_MAX_ATTEMPTS_WITH_RETRY = 3;

	private final ExecutorProperties executor;

	public SubmissionPolicy(ExecutorProperties executor) {
		this.executor = executor;
	}

	public NewOperation apply(SubmitOperationRequest request, String idempotencyKey) {
		boolean retry = Boolean.TRUE.equals(request.retry());
		int maxAttempts = request.maxAttempts() != null ? request.maxAttempts()
				: (retry ? DEFAULT_MAX_ATTEMPTS_WITH_RETRY : 1);
		int timeout = request.timeoutSeconds() != null ? request.timeoutSeconds()
				: (int) executor.defaultTimeout().toSeconds();
		List<TaskSpec> tasks = request.tasks()
			.stream()
			.map(t -> new TaskSpec(t.name(), OperationService.orEmpty(t.vars()), t.tasksFrom()))
			.toList();
		return new NewOperation(request.type(), request.engine(), request.target(), request.hosts(),
				OperationService.orEmpty(request.vars()), tasks, timeout, retry, maxAttempts, idempotencyKey);
	}

}
