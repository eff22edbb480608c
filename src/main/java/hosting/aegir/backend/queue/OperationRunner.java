package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineResult;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;
import hosting.aegir.backend.operation.ClaimedOperation;
import hosting.aegir.backend.operation.OperationFinished;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Runs one claimed operation on its engine, from start to the fenced write of its end:
 * enforces the timeout, passes cancel requests on, and decides the final status. The
 * final write is retried with back-off for as long as the lease is ours (the heartbeat
 * keeps it meanwhile), so a database hiccup at the end of a run does not turn its result
 * into "executor lost".
 */
class OperationRunner {

	private static final Logger log = LoggerFactory.getLogger(OperationRunner.class);

	/**
	 * How long a cancelled or timed-out engine may take to stop before the run is written
	 * off.
	 */
	static final Duration STOP_WAIT = Duration.ofSeconds(30);

	private final ClaimedOperation op;

	private final EngineRequest request;

	private final Engine engine;

	private final OperationStore sql;

	private final RunRecorder recorder;

	private final String replica;

	private final JsonMapper json;

	private final QueueMetrics metrics;

	private final NextClaim nextClaim;

	private final ApplicationEventPublisher events;

	private final long startNanos = System.nanoTime();

	// The run's tag in the metrics (see QueueMetrics#task).
	private final String task;

	private java.util.Optional<ClaimedOperation> next = java.util.Optional.empty();

	private volatile Execution execution;

	private volatile String cancelReason;

	private volatile boolean leaseLost;

	private volatile boolean completing;

	private volatile boolean completed;

	private volatile String handBackReason;

	OperationRunner(ClaimedOperation op, EngineRequest request, Engine engine, OperationStore sql, RunRecorder recorder,
			String replica, JsonMapper json, QueueMetrics metrics, NextClaim nextClaim,
			ApplicationEventPublisher events) {
		this.op = op;
		this.request = request;
		this.engine = engine;
		this.sql = sql;
		this.recorder = recorder;
		this.replica = replica;
		this.json = json;
		this.metrics = metrics;
		this.nextClaim = nextClaim;
		this.events = events;
		this.task = metrics.task(op.engine(), request.tasks());
	}

	ClaimedOperation operation() {
		return op;
	}

	RunRecorder recorder() {
		return recorder;
	}

	/** Asks the run to stop; the first reason given is the one recorded. */
	void cancel(String reason) {
		if (cancelReason == null) {
			cancelReason = reason;
		}
		Execution current = execution;
		if (current != null) {
			current.cancel();
		}
	}

	/** True once the run is over and its result is being written. */
	boolean completing() {
		return completing;
	}

	/**
	 * True once the result is stored (or handed back): a heartbeat that finds no lease
	 * may ignore it.
	 */
	boolean completed() {
		return completed;
	}

	/**
	 * On shutdown: stop the run and, unless it has succeeded by then, give the operation
	 * back to the queue with this attempt not counted (for work submitted with
	 * {@code retry}).
	 */
	void handBack(String reason) {
		if (handBackReason == null) {
			handBackReason = reason;
		}
		cancel(reason);
	}

	/** Another replica owns the operation now: stop, and write nothing more about it. */
	void leaseLost() {
		leaseLost = true;
		cancel("lease lost");
	}

	/**
	 * What the slot should do once this run has ended: whether to claim again, for which
	 * engines.
	 */
	interface NextClaim {

		boolean wanted();

		java.util.Collection<String> engines();

	}

	/**
	 * Runs the operation to its end; returns the operation claimed next for this slot, if
	 * any.
	 */
	java.util.Optional<ClaimedOperation> run() {
		try (OperationLogContext context = OperationLogContext.of(op)) {
			execute();
		}
		return next;
	}

	private void execute() {
		metrics.started(op.engine(), task);
		log.info("Operation {} ({}) attempt {} started on engine {}", op.id(), op.type(), op.attempt(), engine.name());
		recorder.log(LogStream.SYSTEM, "attempt " + op.attempt() + " started on replica " + replica);
		Execution started;
		try {
			started = engine.start(request, recorder);
		}
		catch (RuntimeException ex) {
			log.warn("Engine {} could not start operation {}", engine.name(), op.id(), ex);
			finish(OperationStatus.FAILED, null,
					"the " + engine.name() + " engine could not start the run: " + ex.getMessage());
			return;
		}
		execution = started;
		if (cancelReason != null) {
			started.cancel();
		}
		EngineResult result;
		boolean timedOut = false;
		try {
			long remaining = TimeUnit.SECONDS.toNanos(op.timeoutSeconds()) - (System.nanoTime() - startNanos);
			result = started.result().get(Math.max(0, remaining), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			timedOut = true;
			recorder.log(LogStream.SYSTEM, "timed out after " + op.timeoutSeconds() + " s: stopping the run");
			started.cancel();
			result = awaitStop(started);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			cancel("the executor was interrupted");
			result = awaitStop(started);
		}
		catch (ExecutionException ex) {
			result = new EngineResult(-1, "the " + engine.name() + " engine failed: " + ex.getCause().getMessage());
		}
		if (timedOut) {
			finish(OperationStatus.TIMED_OUT, result.exitCode(), "timed out after " + op.timeoutSeconds() + " s"
					+ (result.failure() != null && result.exitCode() == -1 ? "; " + result.failure() : ""));
		}
		else if (result.succeeded()) {
			finish(OperationStatus.SUCCEEDED, 0,
					cancelReason == null ? null : "the run had finished when the cancel arrived");
		}
		else if (cancelReason != null) {
			finish(OperationStatus.CANCELLED, result.exitCode(), cancelReason);
		}
		else {
			finish(OperationStatus.FAILED, result.exitCode(),
					result.failure() != null ? result.failure() : "the run exited with code " + result.exitCode());
		}
	}

	// A stopped engine completes its result; one that does not within STOP_WAIT is
	// written off.
	private EngineResult awaitStop(Execution started) {
		try {
			return started.result().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
		}
		catch (TimeoutException ex) {
			return new EngineResult(-1, "the engine did not stop within " + STOP_WAIT.toSeconds() + " s");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return new EngineResult(-1, "interrupted while waiting for the engine to stop");
		}
		catch (ExecutionException ex) {
			return new EngineResult(-1, "the engine failed while stopping: " + ex.getCause().getMessage());
		}
	}

	private void finish(OperationStatus status, Integer exitCode, String unmaskedReason) {
		completing = true;
		// A failure message can quote a secret (a command's error naming its arguments):
		// mask it like the log.
		String reason = recorder.reason(unmaskedReason);
		if (leaseLost) {
			log.warn("Operation {} attempt {}: lease lost while running; its result ({}) is discarded", op.id(),
					op.attempt(), status);
			completed = true;
			return;
		}
		if (handBackReason != null && status != OperationStatus.SUCCEEDED) {
			giveBack();
			return;
		}
		recorder.log(LogStream.SYSTEM, "finished: " + status + (reason == null ? "" : " (" + reason + ")"));
		Map<String, Object> outputData = recorder.outputs();
		String outputs = json.writeValueAsString(outputData);
		OperationFinished finished = new OperationFinished(op.id(), op.type(), op.target(), status, outputData,
				op.check());
		RunRecorder.Batch last = recorder.drainLast();
		// A failed try may still have committed (the connection broke after the commit
		// was sent): a retry
		// then finds nothing to complete, and claims nothing, lest it take a second
		// operation for this slot.
		java.util.concurrent.atomic.AtomicBoolean firstTry = new java.util.concurrent.atomic.AtomicBoolean(true);
		OperationStore.Completion completion = retryWhileLeased("write the result (" + status + ")",
				() -> sql.completeAndClaimNext(finished, replica, op.attempt(), exitCode, reason, outputs, last.lines(),
						last.events(), nextClaim.engines(), firstTry.getAndSet(false) && nextClaim.wanted(),
						() -> events.publishEvent(finished)));
		completed = true;
		if (completion == null) {
			return;
		}
		next = completion.next();
		boolean written = completion.written();
		if (written) {
			Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
			metrics.finished(op.engine(), task, status, took);
			log.info("Operation {} attempt {} finished: {}{} after {} ms", op.id(), op.attempt(), status,
					reason == null ? "" : " (" + reason + ")", took.toMillis());
		}
		else {
			log.warn("Operation {} attempt {}: lease lost before the result ({}) could be written; it is discarded",
					op.id(), op.attempt(), status);
		}
	}

	// Shutdown outlived the run: back to the queue, this attempt not counted.
	private void giveBack() {
		recorder.log(LogStream.SYSTEM, "handed back to the queue: " + handBackReason);
		recorder.flush();
		var status = retryWhileLeased("hand the operation back", () -> sql.handBack(op.id(), replica, op.attempt(),
				"re-queued: " + handBackReason + " (attempt not counted)"));
		completed = true;
		if (status != null) {
			log.info("Operation {} attempt {} handed back: now {}", op.id(), op.attempt(),
					status.map(OperationStatus::name).orElse("owned by another"));
		}
	}

	/**
	 * Runs a write until it succeeds, backing off between tries, while the lease is ours
	 * and the thread is not interrupted (shutdown's last resort). Returns null if it gave
	 * up.
	 */
	private <T> T retryWhileLeased(String what, java.util.function.Supplier<T> write) {
		long backoff = 200;
		for (int attempt = 1;; attempt++) {
			try {
				return write.get();
			}
			catch (RuntimeException ex) {
				if (leaseLost || Thread.currentThread().isInterrupted()) {
					log.warn("Operation {} attempt {}: could not {} and gave up ({}): {}", op.id(), op.attempt(), what,
							leaseLost ? "lease lost" : "interrupted", ex.getMessage());
					return null;
				}
				log.warn("Operation {} attempt {}: could not {} (try {}), retrying in {} ms: {}", op.id(), op.attempt(),
						what, attempt, backoff, ex.getMessage());
				try {
					Thread.sleep(backoff);
				}
				catch (InterruptedException ie) {
					Thread.currentThread().interrupt();
				}
				backoff = Math.min(backoff * 2, 5_000);
			}
		}
	}

}
