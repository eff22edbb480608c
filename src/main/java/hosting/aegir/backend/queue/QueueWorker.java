package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.Engines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;

/**
 * This replica's executor: claims queued operations into free slots when woken (NOTIFY) or on the
 * fallback poll, runs them, heartbeats them, reaps operations other replicas lost, and on shutdown
 * stops claiming, lets running work finish within the grace period and cancels the rest.
 */
@Component
public class QueueWorker implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);

	private final ExecutorProperties properties;

	private final LogProperties logProperties;

	private final QueueSql sql;

	private final Engines engines;

	private final ReplicaId replica;

	private final QueueMetrics metrics;

	private final JsonMapper json;

	private final DataSource dataSource;

	private final ApplicationEventPublisher events;

	private final Map<UUID, OperationRunner> running = new ConcurrentHashMap<>();

	// A finishing run claims its slot's next operation while this replica is still claiming.
	private final OperationRunner.NextClaim nextClaim = new OperationRunner.NextClaim() {
		@Override
		public boolean wanted() {
			return claiming;
		}

		@Override
		public java.util.Collection<String> engines() {
			return engines.names();
		}
	};

	private final Object wakeLock = new Object();

	private boolean wakeRequested;

	private volatile boolean claiming;

	private volatile boolean lifecycleRunning;

	private ExecutorService pool;

	private ScheduledExecutorService timers;

	private Thread dispatcher;

	private QueueNotifications notifications;

	public QueueWorker(ExecutorProperties properties, LogProperties logProperties, QueueSql sql, Engines engines,
			ReplicaId replica, QueueMetrics metrics, JsonMapper json, DataSource dataSource,
			ApplicationEventPublisher events) {
		this.properties = properties;
		this.logProperties = logProperties;
		this.sql = sql;
		this.engines = engines;
		this.replica = replica;
		this.metrics = metrics;
		this.json = json;
		this.dataSource = dataSource;
		this.events = events;
	}

	@Override
	public void start() {
		lifecycleRunning = true;
		if (!properties.enabled()) {
			log.info("Executor disabled on this replica (aegir.executor.enabled=false): operations are accepted, not run");
			return;
		}
		int concurrency = properties.concurrency();
		metrics.slots(concurrency, running::size);
		AtomicInteger runThreads = new AtomicInteger();
		pool = Executors.newFixedThreadPool(concurrency, r -> daemon(r, "aegir-run-" + runThreads.incrementAndGet()));
		timers = Executors.newScheduledThreadPool(2, r -> daemon(r, "aegir-queue-timer"));
		claiming = true;
		if (properties.notifications()) {
			notifications = new QueueNotifications(dataSource, this::wake, this::cancelRequested);
			notifications.start();
		}
		dispatcher = daemon(this::dispatch, "aegir-queue-dispatcher");
		dispatcher.start();
		schedule(this::heartbeat, properties.heartbeatInterval());
		schedule(this::reap, properties.staleAfter().dividedBy(3).compareTo(Duration.ofSeconds(1)) < 0
				? Duration.ofSeconds(1) : properties.staleAfter().dividedBy(3));
		schedule(this::flushAll, logProperties.flushInterval());
		log.info("Executor started as replica {} with {} slots for engines {}", replica, concurrency, engines.names());
	}

	private void schedule(Runnable task, Duration every) {
		timers.scheduleWithFixedDelay(() -> {
			try {
				task.run();
			}
			catch (RuntimeException ex) {
				log.warn("Queue housekeeping failed: {}", ex.getMessage());
			}
		}, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
	}

	/** Wakes the dispatcher: new work may be claimable. */
	void wake() {
		synchronized (wakeLock) {
			wakeRequested = true;
			wakeLock.notifyAll();
		}
	}

	private void dispatch() {
		while (claiming) {
			synchronized (wakeLock) {
				if (!wakeRequested) {
					try {
						wakeLock.wait(properties.pollInterval().toMillis());
					}
					catch (InterruptedException ex) {
						return;
					}
				}
				wakeRequested = false;
			}
			claimWhileFree();
		}
	}

	// Claims until the slots are full or the queue has nothing eligible; never more than free slots.
	private void claimWhileFree() {
		while (claiming) {
			int free = properties.concurrency() - running.size();
			if (free <= 0) {
				return;
			}
			List<ClaimedOperation> claimed;
			try {
				claimed = sql.claim(replica.value(), engines.names(), free);
			}
			catch (DuplicateKeyException ex) {
				// Another replica claimed an operation of the same target at the same moment; try again.
				continue;
			}
			catch (DataAccessException ex) {
				log.warn("Could not claim operations: {}", ex.getMessage());
				return;
			}
			for (ClaimedOperation op : claimed) {
				launch(op);
			}
			if (claimed.size() < free) {
				return;
			}
		}
	}

	// A slot runs its operation, then the one it claimed while completing, and so on, until the
	// queue has nothing eligible; then the slot is free and the dispatcher fills it when woken.
	private void launch(ClaimedOperation first) {
		running.put(first.id(), runner(first));
		pool.execute(() -> {
			ClaimedOperation op = first;
			while (op != null) {
				OperationRunner runner = running.get(op.id());
				ClaimedOperation next = null;
				try {
					next = runner.run().orElse(null);
				}
				catch (RuntimeException ex) {
					try (OperationLogContext context = OperationLogContext.of(op)) {
						log.error("Operation {} failed in the executor", op.id(), ex);
					}
				}
				finally {
					if (next != null) {
						running.put(next.id(), runner(next));
					}
					running.remove(op.id());
				}
				op = next;
			}
			wake();
		});
	}

	private OperationRunner runner(ClaimedOperation op) {
		Engine engine = engines.get(op.engine()).orElseThrow();
		EngineRequest request = op.engineRequest(json);
		RunRecorder recorder = new RunRecorder(op.id(), op.attempt(), SecretMask.of(op.secretVars(json), request), sql,
				logProperties);
		return new OperationRunner(op, request, engine, sql, recorder, replica.value(), json, metrics, nextClaim);
	}

	private void cancelRequested(UUID id) {
		OperationRunner runner = running.get(id);
		if (runner != null) {
			OperationLogContext.run(runner.operation(), () -> {
				log.info("Cancelling operation {} on request", id);
				runner.cancel("cancel requested");
			});
		}
	}

	// Refreshes our leases; the status read back also delivers cancels whose NOTIFY was lost.
	private void heartbeat() {
		for (OperationRunner runner : running.values()) {
			OperationLogContext.run(runner.operation(), () -> heartbeat(runner));
		}
	}

	private void heartbeat(OperationRunner runner) {
		ClaimedOperation op = runner.operation();
		var status = sql.heartbeat(op.id(), replica.value(), op.attempt());
		if (status.isEmpty() && runner.completing()) {
			return; // it completed between our look at the map and the update
		}
		if (status.isEmpty()) {
			log.warn("Operation {} attempt {}: lease lost (reaped or re-claimed); stopping the local run", op.id(),
					op.attempt());
			runner.leaseLost();
		}
		else if ("CANCELLING".equals(status.get())) {
			runner.cancel("cancel requested");
		}
	}

	private void reap() {
		for (QueueSql.Reaped reaped : sql.reapStale(properties.staleAfter())) {
			log.warn("Reaped operation {} ({}): its executor stopped heartbeating; now {}", reaped.id(), reaped.type(),
					reaped.status());
			metrics.reaped(reaped.status());
		}
	}

	private void flushAll() {
		running.values().forEach(r -> OperationLogContext.run(r.operation(), r.recorder()::flush));
	}

	@Override
	public void stop() {
		if (!lifecycleRunning) {
			return;
		}
		lifecycleRunning = false;
		if (pool == null) {
			return;
		}
		AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
		claiming = false;
		dispatcher.interrupt();
		log.info("Executor stopping: no new claims; {} running operation(s) get {} to finish", running.size(),
				properties.shutdownGrace());
		pool.shutdown();
		if (!awaitPool(properties.shutdownGrace())) {
			String reason = "replica " + replica + " shut down and the run did not finish within the shutdown grace of "
					+ properties.shutdownGrace().toSeconds() + " s";
			running.values().forEach(r -> r.cancel(reason));
			awaitPool(OperationRunner.STOP_WAIT.plusSeconds(5));
		}
		timers.shutdownNow();
		if (notifications != null) {
			notifications.close();
		}
	}

	private boolean awaitPool(Duration timeout) {
		try {
			return pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	@Override
	public boolean isRunning() {
		return lifecycleRunning;
	}

	// Stops before the web server's graceful shutdown, so the API keeps answering during the grace.
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 100;
	}

	private static Thread daemon(Runnable runnable, String name) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		return thread;
	}

}
