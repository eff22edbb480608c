package hosting.aegir.backend.queue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.queue.QueueSql.BufferedEvent;
import hosting.aegir.backend.queue.QueueSql.BufferedLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects what one run produces and writes it in batches (never a transaction per line), keeping
 * the stored log under its byte cap with one truncation marker.
 */
class RunRecorder implements ExecutionListener {

	private static final Logger log = LoggerFactory.getLogger(RunRecorder.class);

	private static final int MAX_LINE_CHARS = 64 * 1024;

	static final int MAX_REASON_CHARS = 8 * 1024;

	private final UUID operationId;

	private final String replica;

	private final int attempt;

	private final QueueSql sql;

	private final long maxBytes;

	private final int batchSize;

	private final Map<String, Object> outputs = new LinkedHashMap<>();

	// One flush at a time: batches commit in sequence order, so a reader polling with ?after= never
	// sees a later line before an earlier one exists and skips it.
	private final Object flushLock = new Object();

	private List<BufferedLine> lines = new ArrayList<>();

	private List<BufferedEvent> events = new ArrayList<>();

	private long logSeq;

	private long eventSeq;

	private long logBytes;

	private boolean truncated;

	private final SecretMask secrets;

	RunRecorder(UUID operationId, String replica, int attempt, SecretMask secrets, QueueSql sql, LogProperties properties) {
		this.operationId = operationId;
		this.replica = replica;
		this.attempt = attempt;
		this.secrets = secrets;
		this.sql = sql;
		this.maxBytes = properties.maxBytes().toBytes();
		this.batchSize = properties.batchSize();
		// A run continues the numbering and byte budget of what earlier runs stored: a later attempt,
		// or the same attempt number again after a hand-back (which does not count the attempt).
		long[] last = sql.lastSequences(operationId);
		this.logSeq = last[0];
		this.eventSeq = last[1];
		this.logBytes = last[2];
	}

	@Override
	public void log(LogStream stream, String line) {
		String text = secrets.apply(line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + " [line cut]" : line);
		// PostgreSQL text cannot hold NUL.
		text = text.indexOf('\0') >= 0 ? text.replace('\0', '?') : text;
		boolean flushNow;
		synchronized (this) {
			if (truncated) {
				return;
			}
			long size = text.getBytes(StandardCharsets.UTF_8).length;
			if (logBytes + size > maxBytes) {
				truncated = true;
				lines.add(new BufferedLine(++logSeq, Instant.now(), LogStream.SYSTEM.column(),
						"[log truncated: the stored log reached its limit of " + maxBytes + " bytes; later output is discarded]"));
			}
			else {
				logBytes += size;
				lines.add(new BufferedLine(++logSeq, Instant.now(), stream.column(), text));
			}
			flushNow = lines.size() >= batchSize;
		}
		if (flushNow) {
			flush();
		}
	}

	@Override
	public void event(EngineEvent reported) {
		EngineEvent event = new EngineEvent(reported.taskIndex(), reported.task(), reported.role(), reported.host(),
				reported.status(), reported.changed(), reported.durationMs(), secrets.apply(reported.message()));
		synchronized (this) {
			events.add(new BufferedEvent(++eventSeq, Instant.now(), event));
		}
	}

	@Override
	@SuppressWarnings("unchecked")
	public synchronized void outputs(Map<String, Object> data) {
		outputs.putAll((Map<String, Object>) secrets.apply(data));
	}

	/** A failure reason as it may be stored: secrets masked, NUL replaced, at most {@value #MAX_REASON_CHARS} characters. */
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
	 * Takes what is still buffered for the final write, once the run has ended. Taken under the flush
	 * lock, so a flush in progress has committed the earlier lines first; the final write may then be
	 * retried without holding up the flusher.
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

	// Takes what is buffered; callers hold flushLock, so batches are written in sequence order.
	private synchronized Batch drain() {
		Batch batch = new Batch(lines, events);
		lines = new ArrayList<>();
		events = new ArrayList<>();
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
					log.debug("Refused {} log lines of operation {} attempt {}: the lease has moved on", batch.lines().size(),
							operationId, attempt);
				}
			}
			catch (RuntimeException ex) {
				// Keep running: the database may be back at the next flush; these lines are lost, not the run.
				log.warn("Could not store {} log lines / {} events of operation {}: {}", batch.lines().size(),
						batch.events().size(), operationId, ex.getMessage());
			}
		}
	}

}
