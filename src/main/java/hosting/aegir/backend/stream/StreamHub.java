package hosting.aegir.backend.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import hosting.aegir.backend.catalog.TaskCatalog;
import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.OperationView;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.queue.ChannelListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * This replica's streams. One poller thread reads the news of every streamed operation —
 * status, log lines and task events after the furthest-behind subscriber's position — in
 * one round of three statements on one snapshot, and queues each subscriber what it
 * lacks; a small shared pool writes the queues out. The poller is woken by the database's
 * notifications on {@code aegir_output} (sent by triggers on every status change, log
 * batch and task event of a watched operation, from any replica: the hub writes what it
 * streams into {@code stream_watch}, see V13), and looks at every streamed operation
 * every {@code poll-interval} in case one was lost. So the cost is per operation with
 * news, not per subscriber, and an idle stream holds no thread.
 */
@Component
class StreamHub implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(StreamHub.class);

	static final String CHANNEL = "aegir_output";

	/**
	 * Rows read per operation per round: a long log is sent in slices of this many lines.
	 */
	static final int SLICE = 1000;

	/** Operations read per round of statements. */
	private static final int OPERATIONS_PER_ROUND = 500;

	private final StreamSql sql;

	private final OperationService operations;

	private final TransactionTemplate snapshot;

	private final JsonMapper json;

	private final StreamProperties properties;

	private final ObjectProvider<TaskCatalog> catalogs;

	private final ChannelListener listener;

	private final Map<UUID, Set<Subscriber>> byOperation = new ConcurrentHashMap<>();

	private final Set<UUID> dirty = ConcurrentHashMap.newKeySet();

	private final AtomicInteger open = new AtomicInteger();

	private final AtomicBoolean listening = new AtomicBoolean();

	// This hub's name in stream_watch: a replica's streams, whatever its other names.
	private final UUID hub = UUID.randomUUID();

	// Whether this hub has written a watch since it started: a replica nobody streams
	// from writes none.
	private volatile boolean watchedAny;

	private volatile boolean renewWatches;

	private final AtomicBoolean watchFailing = new AtomicBoolean();

	// Fallback looks so far (the poller's only).
	private long looks;

	private final Object wakeLock = new Object();

	private boolean wakeRequested;

	private volatile boolean running;

	private Thread poller;

	private ExecutorService senders;

	private ScheduledExecutorService keepAlive;

	StreamHub(StreamSql sql, OperationService operations, PlatformTransactionManager transactions, JsonMapper json,
			StreamProperties properties, ChannelListener listener, ObjectProvider<TaskCatalog> catalogs) {
		this.catalogs = catalogs;
		this.sql = sql;
		this.operations = operations;
		this.snapshot = new TransactionTemplate(transactions);
		// One snapshot per round: a terminal status read with the lines means no line can
		// follow them.
		this.snapshot.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
		this.snapshot.setReadOnly(true);
		this.json = json;
		this.properties = properties;
		this.listener = listener;
	}

	// One view serves every subscriber of an operation, viewers too: secret outputs (a
	// login link) are
	// shown as ******** in a stream; the submitter reads them with GET.
	private OperationView withSecretOutputsMasked(OperationView op) {
		TaskCatalog catalog = catalogs.getIfAvailable();
		return catalog == null ? op : op.withOutputsMasked(
				catalog.secretOutputs(op.engine(), op.tasks().stream().map(OperationView.TaskView::name).toList()));
	}

	/**
	 * Opens a stream of the operation from {@code from}. Throws
	 * {@link StreamLimitException} when this replica holds its maximum of streams or is
	 * shutting down.
	 */
	SseEmitter subscribe(UUID operationId, Cursor from) {
		if (!running) {
			throw new StreamLimitException(
					"this replica is not serving streams now (starting or shutting down); reconnect");
		}
		if (open.incrementAndGet() > properties.maxStreams()) {
			open.decrementAndGet();
			throw new StreamLimitException("this replica holds its maximum of " + properties.maxStreams()
					+ " open streams (aegir.stream.max-streams)");
		}
		SseEmitter emitter = new SseEmitter(properties.maxDuration().toMillis());
		Subscriber[] holder = new Subscriber[1];
		Subscriber subscriber = new Subscriber(operationId, emitter, from, senders, () -> remove(holder[0]));
		holder[0] = subscriber;
		emitter.onCompletion(() -> subscriber.close(false));
		emitter.onError(ex -> subscriber.close(false));
		// A stream ends after max-duration; the client resumes from its Last-Event-ID.
		emitter.onTimeout(() -> subscriber.close(true));
		listenOnce();
		watch(operationId);
		byOperation.compute(operationId, (id, set) -> {
			Set<Subscriber> subscribers = set == null ? ConcurrentHashMap.newKeySet() : set;
			// A client gone before it was registered must not linger (its removal has
			// already run).
			if (!subscriber.closed()) {
				subscribers.add(subscriber);
			}
			return subscribers.isEmpty() ? null : subscribers;
		});
		wake(operationId);
		return emitter;
	}

	// The notification channel is listened to from the first stream on: a replica nobody
	// streams
	// from holds no extra connection.
	private void listenOnce() {
		if (properties.notifications() && listening.compareAndSet(false, true)) {
			listener.subscribe(CHANNEL, payload -> {
				try {
					UUID id = UUID.fromString(payload);
					if (byOperation.containsKey(id)) {
						wake(id);
					}
				}
				catch (IllegalArgumentException ex) {
					// not an operation id: nothing of ours
				}
			}, () -> {
				// Notifications may have been lost, and a crash empties stream_watch:
				// renew it and look at everything.
				renewWatches = true;
				byOperation.keySet().forEach(this::wake);
			});
		}
	}

	/**
	 * Asks the database to notify a new stream's operation (V13): only watched operations
	 * pay for a notification at commit. Called before the stream's first read, so what
	 * commits after that read announces itself. A failure costs only latency: the
	 * fallback look still reads every streamed operation.
	 */
	private void watch(UUID operationId) {
		if (!properties.notifications()) {
			return;
		}
		watchedAny = true;
		watching(() -> sql.watch(hub, List.of(operationId), watchFor()));
	}

	/**
	 * At a fallback look: renews the watch of every operation streamed now and drops
	 * those whose streams have all closed since the last look (a watch written since the
	 * last look is kept: its stream may be registering right now). Every tenth look also
	 * clears rows that lapsed long ago, any hub's.
	 */
	private void renewWatches() {
		renewWatches = false;
		if (!properties.notifications() || !watchedAny) {
			return;
		}
		watching(() -> sql.watchOnly(hub, byOperation.keySet(), watchFor(), properties.pollInterval().dividedBy(2)));
		if (++looks % 10 == 0) {
			watching(sql::forgetLapsedWatches);
		}
	}

	// A lasting failure turns push off for every stream of this replica (they are served
	// by the fallback look): said once when it starts, and once when it is over.
	private void watching(Runnable write) {
		try {
			write.run();
			if (watchFailing.compareAndSet(true, false)) {
				log.info("Stream watch written again: streams are pushed at once again");
			}
		}
		catch (RuntimeException ex) {
			if (watchFailing.compareAndSet(false, true)) {
				log.warn(
						"Could not write the stream watch ({}): streams get their news at the fallback look, "
								+ "every {} ms, until it works again",
						ex.toString(), properties.pollInterval().toMillis());
			}
		}
	}

	// How long a watch lasts unrenewed: several fallback looks, so a slow look does not
	// let it lapse.
	private Duration watchFor() {
		return properties.pollInterval().multipliedBy(3).plusSeconds(10);
	}

	/** Streams open on this replica. */
	int openStreams() {
		return open.get();
	}

	private void remove(Subscriber subscriber) {
		open.decrementAndGet();
		byOperation.computeIfPresent(subscriber.operationId(), (id, set) -> {
			set.remove(subscriber);
			return set.isEmpty() ? null : set;
		});
	}

	private void wake(UUID operationId) {
		dirty.add(operationId);
		synchronized (wakeLock) {
			wakeRequested = true;
			wakeLock.notifyAll();
		}
	}

	private void poll() {
		long lastFullLook = System.nanoTime();
		while (running) {
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
			if (System.nanoTime() - lastFullLook >= properties.pollInterval().toNanos()) {
				dirty.addAll(byOperation.keySet());
				lastFullLook = System.nanoTime();
				renewWatches = true;
			}
			List<UUID> due = new ArrayList<>();
			for (UUID id : dirty) {
				dirty.remove(id);
				if (byOperation.containsKey(id)) {
					due.add(id);
				}
			}
			for (int i = 0; i < due.size(); i += OPERATIONS_PER_ROUND) {
				List<UUID> slice = due.subList(i, Math.min(due.size(), i + OPERATIONS_PER_ROUND));
				try {
					round(slice);
				}
				catch (RuntimeException ex) {
					// The database may be away; the next poll looks again, and clients
					// keep their position.
					log.warn("Could not read the news of {} streamed operation(s): {}", slice.size(), ex.toString(),
							ex);
				}
			}
			// After the reads: an unanswering database delays the renewal, not the news.
			if (renewWatches) {
				renewWatches();
			}
		}
	}

	private record News(Map<UUID, OperationStatus> statuses, Map<UUID, String> views, List<StreamSql.Line> lines,
			List<StreamSql.Event> events) {
	}

	private void round(List<UUID> ids) {
		Map<UUID, List<Subscriber>> subscribers = new HashMap<>();
		List<StreamSql.From> from = new ArrayList<>();
		for (UUID id : ids) {
			Set<Subscriber> set = byOperation.get(id);
			if (set == null || set.isEmpty()) {
				continue;
			}
			List<Subscriber> list = List.copyOf(set);
			subscribers.put(id, list);
			from.add(new StreamSql.From(id, list.stream().mapToLong(s -> s.cursor().logSeq()).min().orElse(0),
					list.stream().mapToLong(s -> s.cursor().eventSeq()).min().orElse(0)));
		}
		if (from.isEmpty()) {
			return;
		}
		News news = snapshot.execute(tx -> {
			Map<UUID, OperationStatus> statuses = sql.statuses(subscribers.keySet());
			Map<UUID, String> views = new HashMap<>();
			statuses.forEach((id, status) -> {
				// The public view (secrets masked) is read once per operation whose
				// status someone lacks.
				if (subscribers.get(id).stream().anyMatch(s -> s.status() != status)) {
					views.put(id, json.writeValueAsString(withSecretOutputsMasked(operations.get(id))));
				}
			});
			return new News(statuses, views, sql.lines(from, SLICE), sql.events(from, SLICE));
		});
		Map<UUID, List<StreamItem>> items = new HashMap<>();
		Map<UUID, int[]> counts = new HashMap<>();
		for (StreamSql.Line l : news.lines()) {
			items.computeIfAbsent(l.operationId(), k -> new ArrayList<>())
				.add(new StreamItem(true, l.line().seq(), l.line().at(), json.writeValueAsString(l.line())));
			counts.computeIfAbsent(l.operationId(), k -> new int[2])[0]++;
		}
		for (StreamSql.Event e : news.events()) {
			items.computeIfAbsent(e.operationId(), k -> new ArrayList<>())
				.add(new StreamItem(false, e.event().seq(), e.event().at(), json.writeValueAsString(e.event())));
			counts.computeIfAbsent(e.operationId(), k -> new int[2])[1]++;
		}
		subscribers.forEach((id, list) -> {
			OperationStatus status = news.statuses().get(id);
			if (status == null) {
				// The operation is gone: nothing more will come.
				list.forEach(s -> s.close(true));
				return;
			}
			List<StreamItem> merged = new ArrayList<>(items.getOrDefault(id, List.of()));
			// Lines and events in the order they happened; each kind stays in sequence
			// order.
			merged
				.sort(Comparator.comparing(StreamItem::at).thenComparing(StreamItem::line, Comparator.reverseOrder()));
			merged = inSequence(merged);
			int[] count = counts.getOrDefault(id, new int[2]);
			boolean more = count[0] >= SLICE || count[1] >= SLICE;
			boolean end = status.isTerminal() && !more;
			String view = news.views().get(id);
			for (Subscriber s : list) {
				s.offer(merged, status, view, end);
			}
			if (more) {
				wake(id);
			}
		});
	}

	// Timestamps of lines and events come from the engine's clock and may tie or step
	// back; the
	// sequence numbers decide, so a kind is never reordered by the merge.
	private static List<StreamItem> inSequence(List<StreamItem> merged) {
		List<StreamItem> lines = merged.stream()
			.filter(StreamItem::line)
			.sorted(Comparator.comparingLong(StreamItem::seq))
			.toList();
		List<StreamItem> events = merged.stream()
			.filter(i -> !i.line())
			.sorted(Comparator.comparingLong(StreamItem::seq))
			.toList();
		List<StreamItem> result = new ArrayList<>(merged.size());
		int li = 0;
		int ei = 0;
		for (StreamItem item : merged) {
			result.add(item.line() ? lines.get(li++) : events.get(ei++));
		}
		return result;
	}

	private void keepAlive() {
		byOperation.values().forEach(set -> set.forEach(Subscriber::keepAlive));
	}

	@Override
	public void start() {
		running = true;
		AtomicInteger senderThreads = new AtomicInteger();
		senders = Executors.newFixedThreadPool(properties.senders(),
				r -> daemon(r, "aegir-stream-sender-" + senderThreads.incrementAndGet()));
		keepAlive = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "aegir-stream-keepalive"));
		keepAlive.scheduleWithFixedDelay(() -> {
			try {
				keepAlive();
			}
			catch (RuntimeException ex) {
				log.warn("Stream keep-alive failed: {}", ex.getMessage());
			}
		}, properties.keepAlive().toMillis(), properties.keepAlive().toMillis(), TimeUnit.MILLISECONDS);
		poller = daemon(this::poll, "aegir-stream-poller");
		poller.start();
	}

	@Override
	public void stop() {
		if (!running) {
			return;
		}
		running = false;
		// Streams end before the web server's graceful shutdown, which would otherwise
		// wait for them;
		// clients resume on another replica from their Last-Event-ID.
		byOperation.values().forEach(set -> set.forEach(s -> s.close(true)));
		poller.interrupt();
		keepAlive.shutdownNow();
		senders.shutdown();
		try {
			senders.awaitTermination(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	// Before the queue worker (MAX - 100) and the web server's graceful shutdown.
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 50;
	}

	private static Thread daemon(Runnable runnable, String name) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		return thread;
	}

}
