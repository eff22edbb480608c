package hosting.aegir.backend.operation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import hosting.aegir.backend.catalog.CatalogValidator;
import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.SubmissionRules;
import hosting.aegir.backend.catalog.SubmissionRules.HostsUncheckableException;
import hosting.aegir.backend.engine.Engine.Refusal;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.engine.Engines;
import hosting.aegir.backend.operation.OperationRejectedException.Kind;
import hosting.aegir.backend.operation.OperationRejectedException.Violation;

import org.springframework.stereotype.Component;

/**
 * Turns a submitted request into the operation to store: applies defaults, checks what
 * needs configuration to check.
 */
@Component
class SubmissionPolicy {

	private static final int DEFAULT_MAX_ATTEMPTS_WITH_RETRY = 3;

	private final SubmissionDefaults defaults;

	private final Engines engines;

	private final CatalogValidator catalog;

	private final CallbackPolicy callbacks;

	public SubmissionPolicy(SubmissionDefaults defaults, Engines engines, CatalogValidator catalog,
			CallbackPolicy callbacks) {
		this.defaults = defaults;
		this.engines = engines;
		this.catalog = catalog;
		this.callbacks = callbacks;
	}

	public NewOperation apply(SubmitOperationRequest request, String idempotencyKey) {
		refuseUnstorable(request);
		if (engines.get(request.engine()).isEmpty()) {
			// Accepting it would leave it queued for ever: say so now.
			throw new OperationRejectedException(
					Kind.ENGINE_UNAVAILABLE, "the " + request.engine()
							+ " engine is not enabled on this service (enabled: " + engines.names() + ")",
					List.of(new Violation("engine", "not enabled here")));
		}
		boolean retry = Boolean.TRUE.equals(request.retry());
		int maxAttempts = request.maxAttempts() != null ? request.maxAttempts()
				: (retry ? DEFAULT_MAX_ATTEMPTS_WITH_RETRY : 1);
		int timeout = request.timeoutSeconds() != null ? request.timeoutSeconds()
				: (int) defaults.defaultTimeout().toSeconds();
		List<TaskSpec> tasks = request.tasks()
			.stream()
			.map(t -> new TaskSpec(t.name(), orEmpty(t.vars()), t.tasksFrom()))
			.toList();
		var checked = catalog.validate(request.engine(), orEmpty(request.vars()),
				tasks.stream().map(t -> new TaskInput(t.name(), t.vars(), t.tasksFrom())).toList());
		if (!checked.violations().isEmpty()) {
			throw rejected(Kind.TASK_INVALID, checked.violations());
		}
		SubmissionRules.Hosts hosts;
		try {
			hosts = catalog.hosts(request.engine(), request.hosts());
		}
		catch (HostsUncheckableException ex) {
			throw new OperationRejectedException(Kind.INVENTORY_UNAVAILABLE, ex.getMessage(),
					List.of(new Violation("hosts", "cannot be checked now")));
		}
		if (!hosts.violations().isEmpty()) {
			throw rejected(Kind.HOSTS_INVALID, hosts.violations());
		}
		var paths = catalog.paths(request.engine(), hosts.reached(), orEmpty(request.vars()),
				tasks.stream().map(t -> new TaskInput(t.name(), t.vars(), t.tasksFrom())).toList());
		if (!paths.isEmpty()) {
			throw rejected(Kind.TASK_INVALID, paths);
		}
		refuseWhatTheEngineCannotRun(request, tasks);
		boolean check = Boolean.TRUE.equals(request.check());
		int verbosity = request.verbosity() == null ? 0 : request.verbosity();
		refuseRunOptions(request.engine(), check, verbosity);
		String callbackUrl = request.callbackUrl() == null ? null : callbacks.check(request.callbackUrl());
		return new NewOperation(request.type(), request.engine(), request.target(), request.hosts(),
				orEmpty(request.vars()), tasks, timeout, retry, maxAttempts, idempotencyKey,
				List.copyOf(checked.secrets()), callbackUrl, check, verbosity);
	}

	private static OperationRejectedException rejected(Kind kind, List<CatalogValidator.Violation> violations) {
		return new OperationRejectedException(kind,
				violations.stream().map(v -> v.field() + ": " + v.message()).reduce((a, b) -> a + "; " + b).get(),
				violations.stream().map(v -> new Violation(v.field(), v.message())).toList());
	}

	// Before anything else: such values cannot even be stored, let alone checked against
	// the catalog.
	private static void refuseUnstorable(SubmitOperationRequest request) {
		List<Violation> found = new ArrayList<>();
		java.util.Optional.ofNullable(StorableValues.problem("vars", request.vars())).ifPresent(found::add);
		for (int i = 0; i < request.tasks().size(); i++) {
			java.util.Optional
				.ofNullable(StorableValues.problem("tasks[" + i + "].vars", request.tasks().get(i).vars()))
				.ifPresent(found::add);
		}
		if (!found.isEmpty()) {
			throw new OperationRejectedException(Kind.INVALID_INPUT,
					found.stream().map(v -> v.field() + ": " + v.message()).reduce((a, b) -> a + "; " + b).get(),
					found);
		}
	}

	// AWX's verbosity is 0..4 (-v .. -vvvv); a dry run only where the engine can do one
	// without changing anything.
	private void refuseRunOptions(String engine, boolean check, int verbosity) {
		List<Violation> found = new ArrayList<>();
		if (verbosity < 0 || verbosity > 4) {
			found.add(new Violation("verbosity", "must be between 0 and 4"));
		}
		if (check && !engines.get(engine).orElseThrow().dryRuns()) {
			found.add(new Violation("check", "the " + engine + " engine cannot do a dry run"));
		}
		if (!found.isEmpty()) {
			throw new OperationRejectedException(Kind.TASK_INVALID,
					found.stream().map(v -> v.field() + ": " + v.message()).reduce((a, b) -> a + "; " + b).get(),
					found);
		}
	}

	private void refuseWhatTheEngineCannotRun(SubmitOperationRequest request, List<TaskSpec> tasks) {
		List<EngineTask> engineTasks = new java.util.ArrayList<>();
		for (int i = 0; i < tasks.size(); i++) {
			engineTasks.add(new EngineTask(i, tasks.get(i).name(), tasks.get(i).vars(), tasks.get(i).tasksFrom()));
		}
		List<Refusal> refusals = engines.get(request.engine())
			.orElseThrow()
			.refusals(request.hosts(), orEmpty(request.vars()), engineTasks);
		if (!refusals.isEmpty()) {
			throw new OperationRejectedException(Kind.TASK_INVALID,
					String.join("; ", refusals.stream().map(r -> r.field() + ": " + r.message()).toList()),
					refusals.stream().map(r -> new Violation(r.field(), r.message())).toList());
		}
	}

	private static Map<String, Object> orEmpty(Map<String, Object> map) {
		return map == null ? Map.of() : new LinkedHashMap<>(map);
	}

}
