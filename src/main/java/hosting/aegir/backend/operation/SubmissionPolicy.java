package hosting.aegir.backend.operation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import hosting.aegir.backend.catalog.CatalogValidator;
import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.engine.Engines;
import hosting.aegir.backend.operation.OperationRejectedException.Kind;
import hosting.aegir.backend.operation.OperationRejectedException.Violation;
import hosting.aegir.backend.queue.ExecutorProperties;

import org.springframework.stereotype.Component;

/** Turns a submitted request into the operation to store: applies defaults, checks what needs configuration to check. */
@Component
public class SubmissionPolicy {

	private static final int DEFAULT_MAX_ATTEMPTS_WITH_RETRY = 3;

	private final ExecutorProperties executor;

	private final Engines engines;

	private final CatalogValidator catalog;

	private final CallbackPolicy callbacks;

	public SubmissionPolicy(ExecutorProperties executor, Engines engines, CatalogValidator catalog,
			CallbackPolicy callbacks) {
		this.executor = executor;
		this.engines = engines;
		this.catalog = catalog;
		this.callbacks = callbacks;
	}

	public NewOperation apply(SubmitOperationRequest request, String idempotencyKey) {
		if (engines.get(request.engine()).isEmpty()) {
			// Accepting it would leave it queued for ever: say so now.
			throw new OperationRejectedException(Kind.ENGINE_UNAVAILABLE,
					"the " + request.engine() + " engine is not enabled on this service (enabled: " + engines.names() + ")",
					List.of(new Violation("engine", "not enabled here")));
		}
		boolean retry = Boolean.TRUE.equals(request.retry());
		int maxAttempts = request.maxAttempts() != null ? request.maxAttempts()
				: (retry ? DEFAULT_MAX_ATTEMPTS_WITH_RETRY : 1);
		int timeout = request.timeoutSeconds() != null ? request.timeoutSeconds()
				: (int) executor.defaultTimeout().toSeconds();
		List<TaskSpec> tasks = request.tasks()
			.stream()
			.map(t -> new TaskSpec(t.name(), orEmpty(t.vars()), t.tasksFrom()))
			.toList();
		var checked = catalog.validate(request.engine(), orEmpty(request.vars()),
				tasks.stream().map(t -> new TaskInput(t.name(), t.vars(), t.tasksFrom())).toList());
		if (!checked.violations().isEmpty()) {
			throw new OperationRejectedException(Kind.TASK_INVALID,
					checked.violations().stream().map(v -> v.field() + ": " + v.message()).reduce((a, b) -> a + "; " + b).get(),
					checked.violations().stream().map(v -> new Violation(v.field(), v.message())).toList());
		}
		String callbackUrl = request.callbackUrl() == null ? null : callbacks.check(request.callbackUrl());
		return new NewOperation(request.type(), request.engine(), request.target(), request.hosts(),
				orEmpty(request.vars()), tasks, timeout, retry, maxAttempts, idempotencyKey,
				List.copyOf(checked.secrets()), callbackUrl);
	}

	private static Map<String, Object> orEmpty(Map<String, Object> map) {
		return map == null ? Map.of() : new LinkedHashMap<>(map);
	}

}
