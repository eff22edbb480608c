package hosting.aegir.backend.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.operation.ClaimedOperation;
import hosting.aegir.backend.operation.OperationStore.BufferedEvent;
import hosting.aegir.backend.operation.OperationStore.BufferedLine;
import hosting.aegir.backend.operation.OperationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Collects what one run produces and writes it in batches (never a transaction per line),
 * keeping the stored log under its byte cap with one truncation marker.
 * <p>
 * The thread reading the engine's output never waits for the database while the writer
 * keeps up: a full batch is handed to the writer (the replica's log flusher) and reading
 * goes on, so the process is not held up on a full pipe while a batch commits. Should the
 * writer fall behind by {@value #MAX_BUFFERED_BATCHES} batches (or
 * {@value #MAX_BUFFERED_BYTES} bytes), the reading thread waits until the writer has
 * taken the buffer, which holds the process back: the buffer, and the heap, stay bounded
 * whatever the output rate. It waits for the take, not for the write: reading the next
 * lines then overlaps the writing of the last ones, where the reading thread writing the
 * batch itself (as it did) left the pipe unread for as long as each write took. Only
 * should the writer not take the buffer within {@link #MAX_WAIT} (a flusher held up by
 * another run's write to a stalled database, say) does the reading thread write it
 * itself.
 */
class RunRecorder implements ExecutionListener {

	private static final Logger log = LoggerFactory.getLogger(RunRecorder.class);

	static final int MAX_LINE_CHARS = 64 * 1024;

	static final int MAX_REASON_CHARS = 8 * 1024;

	static final int MAX_BUFFERED_BATCHES = 8;

	static final long MAX_BUFFERED_BYTES = 8L * 1024 * 1024;

	static final Duration MAX_WAIT = Duration.ofSeconds(1);

	private final UUID operationId;

	private final String replica;

	private final int attempt;

	private final OperationStore sql;

	private final long maxBytes;

	private final int batchSize;

	private final Executor writer;

	// The logging context (the operation) of the thread that made this recorder, for the
	// writer's thread.
	private final Map<String, String> logContext;

	// A batch handed to the writer and not yet taken (guarded by this): one hand-over at
	// a time.
	private boolean writePending;

	// Bytes of the lines buffered now (guarded by this).
	private long bufferedBytes;

	private final Map<String, Object> outputs = new LinkedHashMap<>();

	// One flush at a time: batches commit in sequence order, so a reader polling with
	// ?after= never
	// sees a later line before an earlier one exists and skips it.
	private final Object flushLock = new Object();

	private List<BufferedLine> lines = new ArrayList<>();

	private List<BufferedEvent> events = new ArrayList<>();

	private long logSeq;

	private long eventSeq;

	private long logBytes;

	private boolean truncated;

	private final SecretMask secrets;

	RunRecorder(UUID operationId, String replica, int attempt, ClaimedOperation.StoredOutput stored, SecretMask secrets,
			OperationStore sql, LogProperties properties, Executor writer) {
		this.operationId = operationId;
		this.replica = replica;
		this.attempt = attempt;
		this.secrets = secrets;
		this.sql = sql;
		this.maxBytes = properties.maxBytes().toBytes();
		this.batchSize = properties.batchSize();
		this.writer = writer;
		this.logContext = MDC.getCopyOfContextMap();
		// A run continues the numbering and byte budget of what earlier runs stored: a
		// later attempt, or the same attempt number again after a hand-back (which does
		// not count the attempt). The claim read them.
		this.logSeq = stored.lastLogSeq();
		this.eventSeq = stored.lastEventSeq();
		this.logBytes = stored.logBytes();
	}

	@Override
	public void log(LogStream stream, String line) {
		String text = storable(secrets, line);
		Instant at = Instant.now();
		long size = utf8Length(text);
		boolean handOver = false;
		boolean full;
		synchronized (this) {
			if (truncated) {
				return;
			}
			if (logBytes + size > maxBytes) {
				truncated = true;
				lines.add(new BufferedLine(++logSeq, at, LogStream.SYSTEM.column(),
						"[log truncated: the stored log reached its limit of " + maxBytes
								+ " bytes; later output is discarded]"));
			}
			else {
				logBytes += size;
				bufferedBytes += size;
				lines.add(new BufferedLine(++logSeq, at, stream.column(), text));
			}
			full = isFull();
			if (lines.size() >= batchSize && !writePending) {
				writePending = true;
				handOver = true;
			}
		}
		if (handOver) {
			try {
				writer.execute(this::flushInContext);
			}
			catch (RejectedExecutionException ex) {
				// The replica is stopping: write from here.
				flush();
				return;
			}
		}
		if (full && !awaitTaken()) {
			flush();
		}
	}

	// Whether the reading thread must wait for the writer (guarded by this).
	private boolean isFull() {
		return lines.size() >= batchSize * MAX_BUFFERED_BATCHES || bufferedBytes >= MAX_BUFFERED_BYTES;
	}

	/**
	 * Waits until the writer has taken the full buffer (see {@link #drain()}); false if
	 * it did not within {@link #MAX_WAIT}, or no hand-over is pending, and the caller
	 * must write the buffer itself.
	 */
	private synchronized boolean awaitTaken() {
		long deadline = System.nanoTime() + MAX_WAIT.toNanos();
		while (isFull()) {
			long left = deadline - System.nanoTime();
			if (!writePending || left <= 0) {
				return false;
			}
			try {
				TimeUnit.NANOSECONDS.timedWait(this, left);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
		return true;
	}

	/**
	 * A line as it may be stored: secrets masked, NUL replaced (PostgreSQL text cannot
	 * hold it), then cut at {@value #MAX_LINE_CHARS} characters. Masked before the cut: a
	 * secret across the cut would otherwise keep its first characters in the log.
	 */
	static String storable(SecretMask secrets, String line) {
		String masked = secrets.apply(line);
		return masked.length() > MAX_LINE_CHARS ? masked.substring(0, MAX_LINE_CHARS) + " [line cut]" : masked;
	}

	// A flush on the writer's thread, with the run's logging context (the operation)
	// around it.
	private void flushInContext() {
		if (logContext != null) {
			MDC.setContextMap(logContext);
		}
		try {
			flush();
		}
		finally {
			MDC.clear();
		}
	}

	// What getBytes(UTF_8).length would say, without making the array.
	static long utf8Length(String text) {
		long bytes = text.length();
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c < 0x80) {
				continue;
			}
			if (c < 0x800) {
				bytes += 1;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < text.length()
					&& Character.isLowSurrogate(text.charAt(i + 1))) {
				bytes += 2; // four bytes for the two chars of the pair
				i++;
			}
			else {
				bytes += 2;
			}
		}
		return bytes;
	}

	@Override
	public void event(EngineEvent reported) {
		// A task's name may be templated from its variables: masked like its message.
		EngineEvent event = new EngineEvent(reported.taskIndex(), secrets.apply(reported.task()), reported.role(),
				reported.host(), reported.status(), reported.changed(), reported.durationMs(),
				secrets.apply(reported.message()));
		synchronized (this) {
			events.add(new BufferedEvent(++eventSeq, Instant.now(), event));
		}
	}

	@Override
	@SuppressWarnings("unchecked")
	public synchronized void outputs(Map<String, Object> data) {
		outputs.putAll((Map<String, Object>) secrets.apply(data));
	}

	/**
	 * A failure reason as it may be stored: secrets masked, NUL replaced, at most
	 * {@value #MAX_REASON_CHARS} characters.
	 */
	String reason(String text) {
		if (text == null) {
			return null;
		}
		String masked = secrets.apply(text);
		return masked.length() > MAX_REASON_CHARS ? masked.substring(0, MAX_REASON_CHARS) + " [cut]" : masked;
	}

	synchronized Map<String, Object> outputs() {
		return new LinkedHashMap<>(outputs);
	}

	/**
	 * Takes what is still buffered for the final write, once the run has ended. Taken
	 * under the flush lock, so a flush in progress has committed the earlier lines first;
	 * the final write may then be retried without holding up the flusher.
	 */
	Batch drainLast() {
		synchronized (flushLock) {
			return drain();
		}
	}

	/** Log lines and events taken from the buffer together. */
	record Batch(List<BufferedLine> lines, List<BufferedEvent> events) {

		boolean isEmpty() {
			return lines.isEmpty() && events.isEmpty();
		}

	}

	// Takes what is buffered; callers hold flushLock, so batches are written in sequence
	// order.
	private synchronized Batch drain() {
		Batch batch = new Batch(lines, events);
		writePending = false;
		bufferedBytes = 0;
		lines = new ArrayList<>(batchSize);
		events = new ArrayList<>();
		// A reading thread waiting for room (awaitTaken) may go on.
		notifyAll();
		return batch;
	}

	/** Writes what is buffered. Called by the flusher and when a batch fills. */
	void flush() {
		synchronized (flushLock) {
			Batch batch = drain();
			if (batch.isEmpty()) {
				return;
			}
			try {
				if (!sql.appendOutput(operationId, replica, attempt, batch.lines(), batch.events())) {
					log.debug("Refused {} log lines of operation {} attempt {}: the lease has moved on",
							batch.lines().size(), operationId, attempt);
				}
			}
			catch (RuntimeException ex) {
				// Keep running: the database may be back at the next flush; these lines
				// are lost, not the run.
				log.warn("Could not store {} log lines / {} events of operation {}: {}", batch.lines().size(),
						batch.events().size(), operationId, ex.getMessage());
			}
		}
	}

}
