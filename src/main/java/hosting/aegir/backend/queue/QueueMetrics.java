package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.function.IntSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The queue's metrics: operations started and finished (by type and status), run duration, queue
 * depth, busy executor slots, and the dispatch loop's liveness and failures.
 */
@Component
public class QueueMetrics {

	private final MeterRegistry registry;

	public QueueMetrics(MeterRegistry registry, QueueSql sql) {
		this.registry = registry;
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
		Gauge.builder("aegir.executor.slots", () -> concurrency).description("Executor slots of this replica").register(registry);
		Gauge.builder("aegir.executor.slots.busy", busy::getAsInt).description("Executor slots running an operation").register(registry);
	}

	void dispatcher(java.util.function.BooleanSupplier alive) {
		Gauge.builder("aegir.executor.dispatcher.alive", () -> alive.getAsBoolean() ? 1 : 0)
			.description("1 while this replica's dispatch loop is running and going round, else 0")
			.register(registry);
	}

	void dispatchFailed() {
		Counter.builder("aegir.executor.dispatch.failures").description("Dispatch rounds that failed (and were retried)")
			.register(registry).increment();
	}

	void launchFailed() {
		Counter.builder("aegir.executor.launch.failures")
			.description("Claimed operations that could not be launched (handed back, or failed when unrunnable)")
			.register(registry).increment();
	}

	void started(ClaimedOperation op) {
		Counter.builder("aegir.operations.started").tag("engine", op.engine()).tag("type", op.type())
			.register(registry).increment();
	}

	void finished(ClaimedOperation op, String status, Duration duration) {
		Counter.builder("aegir.operations.finished").tag("engine", op.engine()).tag("type", op.type())
			.tag("status", status).register(registry).increment();
		Timer.builder("aegir.operations.duration").tag("engine", op.engine()).tag("type", op.type())
			.tag("status", status).publishPercentileHistogram().register(registry).record(duration);
	}

	void reaped(String outcome) {
		Counter.builder("aegir.operations.reaped").tag("outcome", outcome).register(registry).increment();
	}

}
