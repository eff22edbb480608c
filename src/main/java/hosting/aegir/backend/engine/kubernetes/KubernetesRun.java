package hosting.aegir.backend.engine.kubernetes;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.engine.EngineResult;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;
import hosting.aegir.backend.engine.kubernetes.Applier.Applied;
import hosting.aegir.backend.engine.kubernetes.Applier.Change;
import hosting.aegir.backend.engine.kubernetes.TaskTemplates.Task;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One operation on the Kubernetes engine, run on its own thread, task after task. */
class KubernetesRun implements Execution {

	private static final Logger log = LoggerFactory.getLogger(KubernetesRun.class);

	/**
	 * The Job's own deadline trails the operation's timeout, so the queue's timeout ends
	 * it first (TIMED_OUT).
	 */
	static final Duration DEADLINE_MARGIN = Duration.ofSeconds(10);

	/**
	 * How long a cancelled Job may take to disappear, and logs to drain after a Job ends.
	 */
	static final Duration STOP_WAIT = Duration.ofSeconds(25);

	private final EngineRequest request;

	private final ExecutionListener listener;

	private final KubernetesEngine engine;

	private final KubernetesClient client;

	private final CompletableFuture<EngineResult> result = new CompletableFuture<>();

	private final CompletableFuture<Void> cancelled = new CompletableFuture<>();

	private final long startNanos = System.nanoTime();

	KubernetesRun(EngineRequest request, ExecutionListener listener, KubernetesEngine engine) {
		this.request = request;
		this.listener = listener;
		this.engine = engine;
		this.client = engine.client();
	}

	@Override
	public CompletableFuture<EngineResult> result() {
		return result;
	}

	@Override
	public void cancel() {
		cancelled.complete(null);
	}

	/** How a task ended. */
	private record Outcome(boolean ok, int exitCode, String failure) {

		static final Outcome OK = new Outcome(true, 0, null);

		static Outcome failed(String failure) {
			return new Outcome(false, 1, failure);
		}

		static Outcome cancelledRun() {
			return new Outcome(false, -1, "cancelled");
		}

	}

	void run() {
		try {
			// The operator's settings may have changed since the submission was accepted:
			// check again.
			List<hosting.aegir.backend.engine.Engine.Refusal> refusals = engine.refusals(request.hosts(),
					request.vars(), request.tasks());
			if (!refusals.isEmpty()) {
				result.complete(new EngineResult(1, "refused by the Kubernetes engine's current settings: "
						+ String.join("; ", refusals.stream().map(r -> r.field() + ": " + r.message()).toList())));
				return;
			}
			for (EngineTask engineTask : request.tasks()) {
				if (cancelled.isDone()) {
					result.complete(new EngineResult(-1, "cancelled"));
					return;
				}
				Task template = engine.templates().get(engineTask.name());
				RunTask task = new RunTask(request.operationId(), request.attempt(), engineTask.index(),
						engineTask.name(), request.hosts(), engineTask.vars(), request.vars(), template.options());
				Outcome outcome = switch (template.kind()) {
					case JOB -> runJob(task);
					case APPLY -> runApply(task);
					case DELETE -> runDelete(task, template.deletes());
				};
				if (!outcome.ok()) {
					result.complete(new EngineResult(outcome.exitCode(), outcome.failure()));
					return;
				}
			}
			result.complete(EngineResult.success());
		}
		catch (RuntimeException ex) {
			log.warn("Operation {} on Kubernetes failed", request.operationId(), ex);
			result.complete(new EngineResult(-1, "the Kubernetes engine failed: " + message(ex)));
		}
	}

	// ---- Jobs
	// -------------------------------------------------------------------------------------

	private Outcome runJob(RunTask task) {
		String namespace = task.namespace();
		long started = System.nanoTime();
		Job job = earlierAttempt(task);
		if (job != null && JobState.of(job) == JobState.SUCCEEDED) {
			listener.log(LogStream.SYSTEM, "Job " + job.getMetadata().getName()
					+ " of an earlier attempt has succeeded; " + "task " + task.index() + " is not run again");
			return finished(task, job, started, null);
		}
		if (job != null) {
			listener.log(LogStream.SYSTEM,
					"re-attached to Job " + job.getMetadata().getName() + " of an earlier attempt");
		}
		else {
			job = create(task);
		}
		String name = job.getMetadata().getName();
		JobWaiter waiter = new JobWaiter(client, namespace, name, listener);
		try (AutoCloseable subscription = engine.watch().observeJob(namespace, name, waiter)) {
			// The informer tells of changes from now on; what happened before comes from
			// one read.
			Job current = client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
			if (current == null) {
				waiter.jobDeleted();
			}
			else {
				waiter.job(current);
			}
			client.pods().inNamespace(namespace).withLabel(Names.JOB_NAME, name).list().getItems().forEach(waiter::pod);
			CompletableFuture.anyOf(waiter.finished(), cancelled).join();
			if (!waiter.finished().isDone()) {
				return cancelJob(namespace, name, waiter);
			}
			return finished(task, waiter.finished().join(), started, waiter);
		}
		catch (Exception ex) {
			waiter.stopLogs();
			throw ex instanceof RuntimeException runtime ? runtime : new IllegalStateException(ex);
		}
	}

	// After a restart, or a retry of an attempt whose replica was lost: the Job of an
	// earlier attempt
	// for this task, if it is still running or has succeeded, is the one to follow.
	private Job earlierAttempt(RunTask task) {
		if (request.attempt() <= 1) {
			return null;
		}
		List<Job> found = client.batch()
			.v1()
			.jobs()
			.inNamespace(task.namespace())
			.withLabel(Names.OPERATION, task.operationId().toString())
			.withLabel(Names.TASK_INDEX, Integer.toString(task.index()))
			.list()
			.getItems();
		return found.stream()
			.filter(j -> JobState.of(j) != JobState.FAILED && j.getMetadata().getDeletionTimestamp() == null)
			.max(Comparator
				.comparingInt(j -> Integer.parseInt(j.getMetadata().getLabels().getOrDefault(Names.ATTEMPT, "0"))))
			.orElse(null);
	}

	private Job create(RunTask task) {
		long remaining = request.timeout().minusNanos(System.nanoTime() - startNanos).toSeconds();
		JobFactory.JobAndSecret built = engine.jobs().build(task, remaining + DEADLINE_MARGIN.toSeconds());
		Job job;
		String name = built.job().getMetadata().getName();
		try {
			job = client.resource(built.job()).create();
			listener.log(LogStream.SYSTEM, "created Job " + name + " in namespace " + task.namespace());
		}
		catch (KubernetesClientException ex) {
			if (ex.getCode() != 409) {
				throw ex;
			}
			// The same attempt was started before (a crash between creating the Job and
			// recording it): adopt it.
			job = client.batch().v1().jobs().inNamespace(task.namespace()).withName(name).get();
			if (job == null) {
				throw ex;
			}
			listener.log(LogStream.SYSTEM, "Job " + name + " exists already: following it");
		}
		if (built.secret() != null) {
			try {
				client.resource(JobFactory.ownedBy(built.secret(), job)).create();
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() != 409) {
					// Without its Secret the pod cannot start: do not leave the Job
					// waiting for its deadline.
					client.batch()
						.v1()
						.jobs()
						.inNamespace(task.namespace())
						.withName(name)
						.withPropagationPolicy(DeletionPropagation.FOREGROUND)
						.delete();
					throw ex;
				}
			}
		}
		return job;
	}

	private Outcome cancelJob(String namespace, String name, JobWaiter waiter) {
		listener.log(LogStream.SYSTEM, "deleting Job " + name + " (foreground propagation)");
		client.batch()
			.v1()
			.jobs()
			.inNamespace(namespace)
			.withName(name)
			.withPropagationPolicy(DeletionPropagation.FOREGROUND)
			.delete();
		try {
			waiter.deleted().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
			listener.log(LogStream.SYSTEM, "Job " + name + " is gone");
		}
		catch (TimeoutException ex) {
			listener.log(LogStream.SYSTEM,
					"Job " + name + " is still being deleted after " + STOP_WAIT.toSeconds() + " s");
		}
		catch (Exception ex) {
			Thread.currentThread().interrupt();
		}
		waiter.stopLogs();
		return Outcome.cancelledRun();
	}

	private Outcome finished(RunTask task, Job job, long started, JobWaiter waiter) {
		String namespace = task.namespace();
		String name = job == null ? "?" : job.getMetadata().getName();
		if (waiter != null) {
			waiter.awaitLogs(STOP_WAIT);
		}
		List<Pod> pods = job == null ? List.of()
				: client.pods().inNamespace(namespace).withLabel(Names.JOB_NAME, name).list().getItems();
		JobState state = job == null ? JobState.DELETED : JobState.of(job);
		long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
		if (state == JobState.SUCCEEDED) {
			Map<String, Object> outputs = PodStatuses.outputs(pods, engine.json(), listener);
			// The termination message is the tenant's image's to write: a backup path
			// outside its own environment's directory is never recorded, nor indexed.
			String refused = BackupPaths.refusal(outputs, engine.jobs().backupDirectory(task));
			if (refused != null) {
				String failure = "Job " + name + " of task " + task.name() + " " + refused
						+ "; its outputs were not recorded";
				listener.event(new EngineEvent(task.index(), "Job " + name, task.name(), namespace, "failed", true, ms,
						failure));
				return Outcome.failed(failure);
			}
			if (!outputs.isEmpty()) {
				listener.outputs(outputs);
			}
			listener.event(new EngineEvent(task.index(), "Job " + name, task.name(), namespace, "changed", true, ms,
					"succeeded"));
			return Outcome.OK;
		}
		String podProblem = PodStatuses.problem(pods);
		if (podProblem == null && waiter != null) {
			podProblem = waiter.lastProblem();
		}
		String why = state == JobState.DELETED ? "was deleted before it finished" : "failed: " + JobState.failure(job);
		String failure = "Job " + name + " of task " + task.name() + " " + why
				+ (podProblem == null ? "" : "; " + podProblem);
		listener
			.event(new EngineEvent(task.index(), "Job " + name, task.name(), namespace, "failed", true, ms, failure));
		Integer exit = PodStatuses.exitCode(pods);
		return new Outcome(false, exit == null || exit == 0 ? 1 : exit, failure);
	}

	// ---- environments
	// -----------------------------------------------------------------------------

	private Outcome runApply(RunTask task) {
		List<HasMetadata> objects = engine.environments().build(task);
		for (HasMetadata object : objects) {
			long started = System.nanoTime();
			Applied applied = engine.applier().apply(client, object);
			String what = object.getKind() + "/" + object.getMetadata().getName();
			String done = switch (applied.change()) {
				case CREATED -> "created";
				case CHANGED -> "configured";
				case UNCHANGED -> "unchanged";
			};
			listener.log(LogStream.SYSTEM, what + " " + done);
			listener.event(new EngineEvent(task.index(), "apply " + what, task.name(), task.namespace(),
					applied.change() == Change.UNCHANGED ? "ok" : "changed", applied.change() != Change.UNCHANGED,
					TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), done));
			if (cancelled.isDone()) {
				return Outcome.cancelledRun();
			}
		}
		for (HasMetadata object : objects) {
			if (object instanceof Deployment deployment) {
				Outcome outcome = awaitAvailable(task, deployment.getMetadata().getName());
				if (!outcome.ok()) {
					return outcome;
				}
			}
		}
		return Outcome.OK;
	}

	private Outcome awaitAvailable(RunTask task, String name) {
		long started = System.nanoTime();
		CompletableFuture<String> done = new CompletableFuture<>();
		java.util.function.Consumer<Deployment> check = d -> {
			String failure = Rollout.failure(d);
			if (failure != null) {
				done.complete(failure);
			}
			else if (Rollout.available(d)) {
				done.complete(null);
			}
		};
		try (AutoCloseable subscription = engine.watch().observeDeployment(task.namespace(), name, check)) {
			Deployment current = client.apps().deployments().inNamespace(task.namespace()).withName(name).get();
			if (current != null) {
				check.accept(current);
			}
			listener.log(LogStream.SYSTEM, "waiting until Deployment/" + name + " is available");
			CompletableFuture.anyOf(done, cancelled).join();
			if (!done.isDone()) {
				return Outcome.cancelledRun();
			}
			String failure = done.join();
			long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
			if (failure != null) {
				String reason = "Deployment/" + name + " did not become available: " + failure;
				listener.event(new EngineEvent(task.index(), "wait Deployment/" + name, task.name(), task.namespace(),
						"failed", false, ms, reason));
				return Outcome.failed(reason);
			}
			listener.log(LogStream.SYSTEM, "Deployment/" + name + " is available");
			listener.event(new EngineEvent(task.index(), "wait Deployment/" + name, task.name(), task.namespace(), "ok",
					false, ms, "available"));
			return Outcome.OK;
		}
		catch (Exception ex) {
			throw ex instanceof RuntimeException runtime ? runtime : new IllegalStateException(ex);
		}
	}

	private Outcome runDelete(RunTask task, String templateTask) {
		String environment = task.string("environment_name");
		boolean volumes = Boolean.TRUE.equals(task.value("delete_volumes"));
		List<HasMetadata> objects = engine.environments().named(templateTask, environment, task.namespace());
		java.util.Collections.reverse(objects);
		for (HasMetadata object : objects) {
			String what = object.getKind() + "/" + object.getMetadata().getName();
			if (object instanceof PersistentVolumeClaim && !volumes) {
				listener.log(LogStream.SYSTEM, what + " kept (delete_volumes is false)");
				continue;
			}
			long started = System.nanoTime();
			HasMetadata existing = client.resource(object).get();
			if (existing == null) {
				listener.event(new EngineEvent(task.index(), "delete " + what, task.name(), task.namespace(), "ok",
						false, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), "absent"));
				continue;
			}
			Map<String, String> labels = existing.getMetadata().getLabels() == null ? Map.of()
					: existing.getMetadata().getLabels();
			if (!Names.MANAGER.equals(labels.get(Names.MANAGED_BY))
					|| !environment.equals(labels.get(Names.ENVIRONMENT))) {
				String failure = what + " was not made by aegir-backend for environment " + environment
						+ "; left alone";
				listener.event(new EngineEvent(task.index(), "delete " + what, task.name(), task.namespace(), "failed",
						false, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), failure));
				return Outcome.failed(failure);
			}
			client.resource(existing).withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
			listener.log(LogStream.SYSTEM, what + " deleted");
			listener.event(new EngineEvent(task.index(), "delete " + what, task.name(), task.namespace(), "changed",
					true, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), "deleted"));
		}
		return Outcome.OK;
	}

	private static String message(Throwable ex) {
		Throwable cause = ex;
		while (cause.getCause() != null && cause.getMessage() == null) {
			cause = cause.getCause();
		}
		return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
	}

}
