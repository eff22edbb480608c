package hosting.aegir.backend.operation;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * Sends the queue's wake-up (a NOTIFY per engine) for submissions already committed,
 * coalescing those that arrive while one is being sent.
 *
 * <p>
 * A wake-up only says "look at the queue of this engine"; it carries no operation, so one
 * sent after several commits wakes replicas for all of them, exactly as one per commit
 * would. A submission that finds no wake-up in flight sends it itself, before its answer,
 * as before (an isolated submission is dispatched as fast as ever); one that finds a
 * wake-up in flight only marks its engine and answers at once, and whoever sends next
 * covers it. Under load this turns one short PostgreSQL transaction (and round trip) per
 * submission into one per burst. What is marked while the inline sender works is handed
 * to one background thread, so no request sends more than once. Ordering is kept: an
 * engine is marked only after its row is committed, and the mark is cleared before the
 * NOTIFY that covers it is sent, so every committed row is followed by a notification. A
 * wake-up lost (a failed NOTIFY, a shutdown in between) delays nothing beyond every
 * replica's fallback poll ({@code aegir.executor.poll-interval}), as before.
 */
@Component
class QueueWakeUps {

	private static final Logger logger = LoggerFactory.getLogger(QueueWakeUps.class);

	private final OperationStore queue;

	private final Set<String> pending = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean scheduled = new AtomicBoolean();

	private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> {
		Thread thread = new Thread(task, "aegir-queue-wakeups");
		thread.setDaemon(true);
		return thread;
	});

	QueueWakeUps(OperationStore queue) {
		this.queue = queue;
	}

	/**
	 * Wakes the replicas serving {@code engine}, soon; call only once the operation is
	 * committed.
	 */
	void queued(String engine) {
		pending.add(engine);
		if (scheduled.compareAndSet(false, true)) {
			try {
				sendPending();
			}
			finally {
				// Cleared whatever happened (a flag left set would silence every later
				// wake-up of this replica), and before looking again: a mark made after
				// this finds the flag free and sends itself.
				scheduled.set(false);
			}
			if (!pending.isEmpty()) {
				handOff();
			}
		}
	}

	private void handOff() {
		if (scheduled.compareAndSet(false, true)) {
			try {
				sender.execute(this::drain);
			}
			catch (RejectedExecutionException ex) {
				// Shutting down: the replicas that stay find the rows on their next poll.
				scheduled.set(false);
			}
		}
	}

	private void drain() {
		do {
			try {
				sendPending();
			}
			finally {
				scheduled.set(false);
			}
		}
		while (!pending.isEmpty() && scheduled.compareAndSet(false, true));
	}

	private void sendPending() {
		for (String engine : pending) {
			// Cleared before sending: a row committed after this point marks it again.
			pending.remove(engine);
			try {
				queue.notifyQueued(engine);
			}
			catch (RuntimeException ex) {
				logger.warn("A queue wake-up for engine {} failed ({}); replicas find the queued operations "
						+ "on their next poll", engine, ex.getMessage());
			}
		}
	}

	@PreDestroy
	void stop() throws InterruptedException {
		// Lets a wake-up being sent finish (it is one short statement); none is
		// needed for correctness.
		sender.shutdown();
		sender.awaitTermination(5, TimeUnit.SECONDS);
	}

}
