package hosting.aegir.backend.operation;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import hosting.aegir.backend.queue.OperationQueue;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;

/**
 * Sends the queue's wake-up (a NOTIFY per engine) for submissions already committed, from
 * one thread of its own, coalescing those that arrive while one is being sent.
 *
 * <p>
 * A wake-up only says "look at the queue of this engine"; it carries no operation, so one
 * sent after several commits wakes replicas for all of them, exactly as one per commit
 * would. Sending it from the submitting request cost that request a second round trip and
 * its own transaction, and under load PostgreSQL one short transaction per submission on
 * the notification queue's global lock; here a burst of submissions costs one NOTIFY per
 * engine, sent while the next ones are being accepted. Ordering is kept: an engine is
 * marked only after its row is committed, and the mark is cleared before the NOTIFY that
 * covers it is sent, so every committed row is followed by a notification. A wake-up lost
 * (a failed NOTIFY, a shutdown in between) delays nothing beyond every replica's fallback
 * poll ({@code aegir.executor.poll-interval}), as before.
 */
@Component
class QueueWakeUps {

	private static final Logger logger = LoggerFactory.getLogger(QueueWakeUps.class);

	private final OperationQueue queue;

	private final Set<String> pending = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean scheduled = new AtomicBoolean();

	private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> {
		Thread thread = new Thread(task, "aegir-queue-wakeups");
		thread.setDaemon(true);
		return thread;
	});

	QueueWakeUps(OperationQueue queue) {
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
				sender.execute(this::send);
			}
			catch (RejectedExecutionException ex) {
				// Shutting down: the replicas that stay find the row on their next poll.
				scheduled.set(false);
			}
		}
	}

	private void send() {
		do {
			for (String engine : pending) {
				// Cleared before sending: a row committed after this point marks it
				// again.
				pending.remove(engine);
				try {
					queue.notifyQueued(engine);
				}
				catch (DataAccessException ex) {
					logger.warn("A queue wake-up for engine {} failed ({}); replicas find the queued operations "
							+ "on their next poll", engine, ex.getMessage());
				}
			}
			scheduled.set(false);
			// A mark made after the loop read the set but before the flag was cleared
			// found
			// the flag still set and scheduled nothing: take it here.
		}
		while (!pending.isEmpty() && scheduled.compareAndSet(false, true));
	}

	@PreDestroy
	void stop() throws InterruptedException {
		// Lets a wake-up being sent finish (it is one short statement); none is needed
		// for
		// correctness.
		sender.shutdown();
		sender.awaitTermination(5, TimeUnit.SECONDS);
	}

}
