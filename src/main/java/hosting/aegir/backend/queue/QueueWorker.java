package hosting.aegir.backend.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.Engines;
import hosting.aegir.backend.operation.ClaimedOperation;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.operation.OperationStore;
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
import org.springframework.transaction.TransactionException;

/**
 * This replica's executor: claims queued operations into free slots when woken (NOTIFY)
 * or on the fallback poll, runs them, heartbeats them, reaps operations other replicas
 * lost, and on shutdown stops claiming, lets running work finish within the grace period,
 * hands back what was submitted with {@code retry} and cancels the rest. The dispatch
 * loop survives any failure; a claim it could not launch goes back to the queue.
 */
@Component
class QueueWorker implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);

	private final ExecutorProperties properties;

	private final LogProperties logProperties;

	private final OperationStore sql;

	private final Engines engines;

	private final ReplicaId replica;

	private final QueueMetrics metrics;

	private final JsonMapper json;

	private final DataSource dataSource;

	private final ApplicationEventPublisher events;

	private final Map<UUID, OperationRunner> running = new ConcurrentHashMap<>();

	// A finishing run claims its slot's next operation while this replica is still
	// claiming.
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

	private ScheduledExecutorService leaseTimer;

	private ScheduledExecutorService flushTimer;

	// Slots taken: claimed operations from the claim until their slot task ends, launched
	// or not.
	private final AtomicInteger busy = new AtomicInteger();

	private static final long NOT_CONNECTED = Long.MIN_VALUE;

	// When the lease connection last got through after failing (System.nanoTime()), for
	// the reaper's rule.
	private volatile long connectedSince = NOT_CONNECTED;

	private volatile long dispatcherBeat = System.nanoTime();

	private volatile boolean dispatcherFailed;

	private Thread dispatcher;

	private QueueNotifications notifications;

	public QueueWorker(ExecutorProperties properties, LogProperties logProperties, OperationStore sql, Engines engines,
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
			log.info(
					"Executor disabled on this replica (aegir.executor.enabled=false): operations are accepted, not run");
			return;
		}
		int concurrency = properties.concurrency();
		metrics.slots(concurrency, busy::get);
		metrics.dispatcher(this::dispatcherAlive);
		AtomicInteger runThreads = new AtomicInteger();
		pool = Executors.newFixedThreadPool(concurrency, r -> daemon(r, "aegir-run-" + runThreads.incrementAndGet()));
		// Heartbeats and the reaper on a thread of their own (and connections of their
		// own, see
		// LeaseConnections): log flushing or a slow claim never makes a heartbeat late.
		leaseTimer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "aegir-queue-lease"));
		flushTimer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "aegir-log-flusher"));
		claiming = true;
		if (properties.notifications()) {
			notifications = new QueueNotifications(dataSource, this::wake, this::cancelRequested);
			notifications.start();
		}
		dispatcher = daemon(this::dispatch, "aegir-queue-dispatcher");
		dispatcher.start();
		schedule(leaseTimer, this::heartbeatNow, properties.heartbeatInterval());
		schedule(leaseTimer, this::reapNow, properties.staleAfter().dividedBy(3).compareTo(Duration.ofSeconds(1)) < 0
				? Duration.ofSeconds(1) : properties.staleAfter().dividedBy(3));
		schedule(flushTimer, this::flushAll, logProperties.flushInterval());
		log.info("Executor started as replica {} with {} slots for engines {}", replica, concurrency, engines.names());
	}

	private static void schedule(ScheduledExecutorService timer, Runnable task, Duration every) {
		timer.scheduleWithFixedDelay(() -> {
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

	// Never ends while claiming: whatever one round throws is logged, counted and
	// followed by a
	// back-off, so a replica cannot silently stop claiming while it still answers as
	// ready.
	private void dispatch() {
		long backoff = 0;
		while (claiming) {
			dispatcherBeat = System.nanoTime();
			synchronized (wakeLock) {
				long wait = backoff > 0 ? backoff : properties.pollInterval().toMillis();
				if (!wakeRequested || backoff > 0) {
					try {
						wakeLock.wait(wait);
					}
					catch (InterruptedException ex) {
						if (!claiming) {
							return;
						}
						Thread.interrupted();
					}
				}
				wakeRequested = false;
			}
			dispatcherBeat = System.nanoTime();
			try {
				claimWhileFree();
				backoff = 0;
			}
			catch (Throwable ex) {
				if (ex instanceof VirtualMachineError fatal && !(ex instanceof StackOverflowError)) {
					dispatcherFailed = true;
					throw fatal;
				}
				backoff = Math.min(Math.max(backoff * 2, 250), 10_000);
				metrics.dispatchFailed();
				if (ex instanceof DataAccessException || ex instanceof TransactionException) {
					log.warn("Could not claim operations ({}); trying again in {} ms", ex.getMessage(), backoff);
				}
				else {
					log.error("Dispatch round failed; claiming again in {} ms", backoff, ex);
				}
			}
		}
	}

	// Claims until the slots are full or the queue has nothing eligible; never more than
	// free slots.
	private void claimWhileFree() {
		while (claiming) {
			int free = properties.concurrency() - busy.get();
			if (free <= 0) {
				return;
			}
			List<ClaimedOperation> claimed;
			try {
				claimed = sql.claim(replica.value(), engines.names(), free);
			}
			catch (DuplicateKeyException ex) {
				// Another replica claimed an operation of the same target at the same
				// moment; try again.
				continue;
			}
			for (ClaimedOperation op : claimed) {
				launch(op);
			}
			if (claimed.size() < free) {
				return;
			}
		}
	}

	// A slot runs its operation, then the one it claimed while completing, and so on,
	// until the
	// queue has nothing eligible; then the slot is free and the dispatcher fills it when
	// woken.
	// Everything that can fail is inside the pool task, so the dispatcher only counts and
	// hands over.
	private void launch(ClaimedOperation first) {
		busy.incrementAndGet();
		try {
			pool.execute(() -> runSlot(first));
		}
		catch (RejectedExecutionException ex) {
			busy.decrementAndGet();
			handBackUnlaunched(first, "the replica was shutting down");
		}
	}

	private void runSlot(ClaimedOperation first) {
		try {
			ClaimedOperation op = first;
			while (op != null) {
				op = runOne(op);
			}
		}
		finally {
			busy.decrementAndGet();
			wake();
		}
	}

	// Runs one claimed operation; returns the one claimed next for this slot, if any.
	private ClaimedOperation runOne(ClaimedOperation op) {
		try (OperationLogContext context = OperationLogContext.of(op)) {
			return launchAndRun(op);
		}
	}

	private ClaimedOperation launchAndRun(ClaimedOperation op) {
		OperationRunner runner;
		try {
			runner = runner(op);
		}
		catch (RuntimeException ex) {
			// Launching reads nothing from the database (the claim returned all it
			// needs): the claimed row itself cannot be run, and would fail again
			// anywhere.
			metrics.launchFailed();
			log.error("Could not launch operation {}; failing it", op.id(), ex);
			failUnlaunched(op, "the replica could not launch the run: " + ex.getMessage());
			return null;
		}
		running.put(op.id(), runner);
		try {
			return runner.run().orElse(null);
		}
		catch (RuntimeException ex) {
			log.error("Operation {} failed in the executor; the reaper will settle it", op.id(), ex);
			return null;
		}
		finally {
			running.remove(op.id());
		}
	}

	private OperationRunner runner(ClaimedOperation op) {
		Engine engine = engines.get(op.engine()).orElseThrow();
		EngineRequest request = op.engineRequest(json);
		RunRecorder recorder = new RunRecorder(op.id(), replica.value(), op.attempt(), op.stored(),
				SecretMask.of(op.secretVars(json), request), sql, logProperties, flushTimer);
		return new OperationRunner(op, request, engine, sql, recorder, replica.value(), json, metrics, nextClaim,
				events);
	}

	// Gives an unlaunched claim back (attempt not counted), retrying for a while; should
	// the database
	// stay away longer, the claim's heartbeat goes stale and another replica's reaper
	// settles it.
	private void handBackUnlaunched(ClaimedOperation op, String reason) {
		long deadline = System.nanoTime() + properties.staleAfter().dividedBy(2).toNanos();
		long backoff = 100;
		while (true) {
			try {
				var status = sql.handBack(op.id(), replica.value(), op.attempt(),
						"re-queued: " + reason + " (attempt not counted)");
				log.info("Operation {} handed back: now {}", op.id(),
						status.map(OperationStatus::name).orElse("owned by another"));
				return;
			}
			catch (RuntimeException ex) {
				if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) > deadline) {
					log.warn("Could not hand operation {} back ({}); the reaper will settle it", op.id(),
							ex.getMessage());
					return;
				}
				sleep(backoff);
				backoff = Math.min(backoff * 2, 2_000);
			}
		}
	}

	private void failUnlaunched(ClaimedOperation op, String reason) {
		try {
			sql.complete(op.id(), replica.value(), op.attempt(), OperationStatus.FAILED, null, reason, "{}");
		}
		catch (RuntimeException ex) {
			log.warn("Could not fail operation {} ({}); the reaper will settle it", op.id(), ex.getMessage());
		}
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

	/**
	 * One heartbeat round, as the lease timer runs it: refreshes our leases (the status
	 * read back also delivers cancels whose NOTIFY was lost) and records whether the
	 * lease connection got through. Package-visible so tests can step it.
	 */
	void heartbeatNow() {
		try {
			if (running.isEmpty()) {
				sql.ping();
			}
			for (OperationRunner runner : running.values()) {
				OperationLogContext.run(runner.operation(), () -> heartbeat(runner));
			}
			if (connectedSince == NOT_CONNECTED) {
				connectedSince = System.nanoTime();
			}
		}
		catch (RuntimeException ex) {
			connectedSince = NOT_CONNECTED;
			throw ex;
		}
	}

	private void heartbeat(OperationRunner runner) {
		ClaimedOperation op = runner.operation();
		var status = sql.heartbeat(op.id(), replica.value(), op.attempt());
		if (status.isEmpty() && runner.completed()) {
			return; // it completed between our look at the map and the update
		}
		if (status.isEmpty()) {
			log.warn("Operation {} attempt {}: lease lost (reaped or re-claimed); stopping the local run", op.id(),
					op.attempt());
			runner.leaseLost();
		}
		else if (status.get() == OperationStatus.CANCELLING) {
			runner.cancel("cancel requested");
		}
	}

	/**
	 * One reaper round, as the lease timer runs it. A replica reaps only once it has
	 * itself been connected for longer than {@code stale-after}: after an outage every
	 * heartbeat in the cluster is old, and the live replicas need that long to write new
	 * ones. Returns what was reaped. Package-visible so tests can step it.
	 */
	List<OperationStore.Reaped> reapNow() {
		long since = connectedSince;
		if (since == NOT_CONNECTED || System.nanoTime() - since < properties.staleAfter().toNanos()) {
			return List.of();
		}
		List<OperationStore.Reaped> reaped = sql.reap(properties.staleAfter(), properties.deadlineGrace());
		for (OperationStore.Reaped r : reaped) {
			log.warn("Reaped operation {} ({}): now {}", r.id(), r.type(), r.status());
			metrics.reaped(r.status());
		}
		return reaped;
	}

	private void flushAll() {
		running.values().forEach(r -> OperationLogContext.run(r.operation(), r.recorder()::flush));
	}

	/**
	 * Whether the dispatch loop is alive and has gone round recently (a probe for
	 * readiness and a gauge).
	 */
	boolean dispatcherAlive() {
		if (!properties.enabled() || !claiming) {
			return true;
		}
		Thread thread = dispatcher;
		long quiet = System.nanoTime() - dispatcherBeat;
		// A round may wait a poll interval and a claim a pool timeout; more than a minute
		// beyond that is a hang.
		long allowed = properties.pollInterval().plusMinutes(1).toNanos();
		return thread != null && thread.isAlive() && !dispatcherFailed && quiet < allowed;
	}

	/** Executor slots busy now (claimed, launching or running). */
	int busySlots() {
		return busy.get();
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
			String why = "replica " + replica + " shut down and the run did not finish within the shutdown grace of "
					+ properties.shutdownGrace().toSeconds() + " s";
			// Work submitted with retry goes back to the queue for another replica; the
			// rest is cancelled.
			running.values().forEach(r -> {
				if (r.operation().retry()) {
					r.handBack(why);
				}
				else {
					r.cancel(why);
				}
			});
			if (!awaitPool(OperationRunner.STOP_WAIT.plusSeconds(5))) {
				pool.shutdownNow();
				awaitPool(Duration.ofSeconds(5));
			}
		}
		leaseTimer.shutdownNow();
		flushTimer.shutdownNow();
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

	// Stops before the web server's graceful shutdown, so the API keeps answering during
	// the grace.
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 100;
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static Thread daemon(Runnable runnable, String name) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		return thread;
	}

}
