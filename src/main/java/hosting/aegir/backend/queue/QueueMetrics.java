package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import hosting.aegir.backend.catalog.TaskCatalog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

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

	private static final TypeReference<List<Map<String, Object>>> TASKS = new TypeReference<>() {
	};

	private final MeterRegistry registry;

	private final TaskCatalog catalog;

	private final JsonMapper json;

	public QueueMetrics(MeterRegistry registry, QueueSql sql, TaskCatalog catalog, JsonMapper json) {
		this.registry = registry;
		this.catalog = catalog;
		this.json = json;
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
			.description("Claimed operations that could not be launched (handed back, or failed when unrunnable)")
			.register(registry)
			.increment();
	}

	void started(ClaimedOperation op) {
		Counter.builder("aegir.operations.started")
			.tag("engine", op.engine())
			.tag("task", task(op))
			.register(registry)
			.increment();
	}

	void finished(ClaimedOperation op, OperationStatus status, Duration duration) {
		String task = task(op);
		Counter.builder("aegir.operations.finished")
			.tag("engine", op.engine())
			.tag("task", task)
			.tag("status", status.name())
			.register(registry)
			.increment();
		Timer.builder("aegir.operations.duration")
			.tag("engine", op.engine())
			.tag("task", task)
			.tag("status", status.name())
			.publishPercentileHistogram()
			.register(registry)
			.record(duration);
	}

	// The engine was checked at submit (an enabled one), the status is an OperationStatus
	// name.
	private String task(ClaimedOperation op) {
		try {
			List<Map<String, Object>> tasks = json.readValue(op.tasksJson(), TASKS);
			Object name = tasks.isEmpty() ? null : tasks.get(0).get("name");
			return name instanceof String text && catalog.find(op.engine(), text).isPresent() ? text : OTHER_TASK;
		}
		catch (RuntimeException ex) {
			return OTHER_TASK;
		}
	}

	void reaped(OperationStatus outcome) {
		Counter.builder("aegir.operations.reaped").tag("outcome", outcome.name()).register(registry).increment();
	}

}
