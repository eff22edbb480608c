package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.IntSupplier;

import hosting.aegir.backend.catalog.TaskCatalog;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The queue's metrics: operations started and finished, run duration, queue depth and
 * busy executor slots, and the dispatch loop's liveness and failures. Tags are bounded:
 * the engine, the status, and the catalog name of the operation's first task
 * ({@code other} when the catalog does not hold it), never the client's free-form
 * {@code type} (each distinct tag value is a time series kept for ever).
 */
@Component
class QueueMetrics {

	static final String OTHER_TASK = "other";

	private final MeterRegistry registry;

	private final TaskCatalog catalog;

	private final Map<List<String>, Meter> meters = new ConcurrentHashMap<>();

	public QueueMetrics(MeterRegistry registry, OperationStore sql, TaskCatalog catalog) {
		this.registry = registry;
		this.catalog = catalog;
		Gauge.builder("aegir.queue.depth", () -> {
			try {
				return sql.queueDepth();
			}
			catch (RuntimeException ex) {
				return Double.NaN;
			}
		}).description("Operations waiting to be claimed").register(registry);
	}

	void slots(int concurrency, IntSupplier busy) {
		Gauge.builder("aegir.executor.slots", () -> concurrency)
			.description("Executor slots of this replica")
			.register(registry);
		Gauge.builder("aegir.executor.slots.busy", busy::getAsInt)
			.description("Executor slots running an operation")
			.register(registry);
	}

	void dispatcher(java.util.function.BooleanSupplier alive) {
		Gauge.builder("aegir.executor.dispatcher.alive", () -> alive.getAsBoolean() ? 1 : 0)
			.description("1 while this replica's dispatch loop is running and going round, else 0")
			.register(registry);
	}

	void dispatchFailed() {
		Counter.builder("aegir.executor.dispatch.failures")
			.description("Dispatch rounds that failed (and were retried)")
			.register(registry)
			.increment();
	}

	void launchFailed() {
		Counter.builder("aegir.executor.launch.failures")
			.description("Claimed operations that could not be launched (failed: no run can be made of the row)")
			.register(registry)
			.increment();
	}

	/**
	 * The bounded tag of a run: the catalog name of its first task, or
	 * {@value #OTHER_TASK}. Computed once per run from the request the engine gets
	 * (already parsed).
	 */
	String task(String engine, List<EngineRequest.EngineTask> tasks) {
		String name = tasks.isEmpty() ? null : tasks.get(0).name();
		return name != null && catalog.find(engine, name).isPresent() ? name : OTHER_TASK;
	}

	void started(String engine, String task) {
		meter(List.of("started", engine, task),
				() -> Counter.builder("aegir.operations.started")
					.tag("engine", engine)
					.tag("task", task)
					.register(registry))
			.increment();
	}

	void finished(String engine, String task, OperationStatus status, Duration duration) {
		meter(List.of("finished", engine, task, status.name()),
				() -> Counter.builder("aegir.operations.finished")
					.tag("engine", engine)
					.tag("task", task)
					.tag("status", status.name())
					.register(registry))
			.increment();
		meter(List.of("duration", engine, task, status.name()),
				() -> Timer.builder("aegir.operations.duration")
					.tag("engine", engine)
					.tag("task", task)
					.tag("status", status.name())
					.publishPercentileHistogram()
					.register(registry))
			.record(duration);
	}

	// The meters of the runs, kept once registered: building and registering one again
	// for every run (tags sorted, an id built and looked up) was a tenth of a short
	// run's CPU. The keys are as bounded as the tags. Kept for the registry's life: a
	// meter removed from the registry, or a filter added after its registration, would
	// not reach it (the service does neither).
	@SuppressWarnings("unchecked")
	private <M extends Meter> M meter(List<String> key, Supplier<M> register) {
		return (M) meters.computeIfAbsent(key, k -> register.get());
	}

	void reaped(OperationStatus outcome) {
		Counter.builder("aegir.operations.reaped").tag("outcome", outcome.name()).register(registry).increment();
	}

}
