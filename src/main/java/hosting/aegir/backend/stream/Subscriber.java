package hosting.aegir.backend.stream;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import hosting.aegir.backend.operation.OperationStatus;

import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter.SseEventBuilder;

/**
 * One open stream: its client's position and the events queued for it. The hub's poller
 * alone moves the position (as it queues events); a shared sender pool writes the queue
 * out, one writer per stream at a time, so an idle stream holds no thread and a slow
 * client holds at most one sender.
 */
final class Subscriber {

	/**
	 * Beyond this many unsent events the client is too slow: the stream is closed and it
	 * resumes later with Last-Event-ID. Kept low because every open stream may hold this
	 * many: a token holder who opens the replica's maximum of streams and reads none must
	 * not exhaust the heap.
	 */
	static final int MAX_PENDING = 2_000;

	private static final SseEventBuilder COMPLETE = SseEmitter.event().comment("end");

	private final UUID operationId;

	private final SseEmitter emitter;

	private final Executor senders;

	private final Runnable onClose;

	private final AtomicBoolean closed = new AtomicBoolean();

	private final ArrayDeque<SseEventBuilder> pending = new ArrayDeque<>();

	private boolean draining;

	// Written by the poller only: what has been queued so far.
	private Cursor cursor;

	private OperationStatus status;

	Subscriber(UUID operationId, SseEmitter emitter, Cursor from, Executor senders, Runnable onClose) {
		this.operationId = operationId;
		this.emitter = emitter;
		this.cursor = from;
		this.senders = senders;
		this.onClose = onClose;
	}

	UUID operationId() {
		return operationId;
	}

	Cursor cursor() {
		return cursor;
	}

	OperationStatus status() {
		return status;
	}

	boolean closed() {
		return closed.get();
	}

	/**
	 * Queues what this client has not had yet from a slice of the operation's news, in
	 * order: a new non-terminal status first, then lines and task events as they
	 * happened, then a terminal status, and the end of the stream when {@code end}.
	 */
	void offer(List<StreamItem> items, OperationStatus newStatus, String statusJson, boolean end) {
		List<SseEventBuilder> frames = new ArrayList<>();
		long log = cursor.logSeq();
		long event = cursor.eventSeq();
		boolean statusChanged = newStatus != null && newStatus != status && statusJson != null;
		if (statusChanged && !newStatus.isTerminal()) {
			frames.add(SseEmitter.event().name("status").id(new Cursor(log, event).toString()).data(statusJson));
		}
		for (StreamItem item : items) {
			if (item.line() && item.seq() > log) {
				log = item.seq();
			}
			else if (!item.line() && item.seq() > event) {
				event = item.seq();
			}
			else {
				continue;
			}
			frames.add(SseEmitter.event()
				.name(item.line() ? "log" : "task")
				.id(new Cursor(log, event).toString())
				.data(item.json()));
		}
		if (statusChanged && newStatus.isTerminal()) {
			frames.add(SseEmitter.event().name("status").id(new Cursor(log, event).toString()).data(statusJson));
		}
		if (statusChanged) {
			status = newStatus;
		}
		cursor = new Cursor(log, event);
		enqueue(frames, end);
	}

	/**
	 * A comment line: keeps proxies from closing an idle stream and finds clients that
	 * are gone.
	 */
	void keepAlive() {
		enqueue(List.of(SseEmitter.event().comment("keep-alive")), false);
	}

	private void enqueue(List<SseEventBuilder> frames, boolean end) {
		if (frames.isEmpty() && !end) {
			return;
		}
		synchronized (this) {
			if (closed.get()) {
				return;
			}
			pending.addAll(frames);
			if (end) {
				pending.add(COMPLETE);
			}
			else if (pending.size() > MAX_PENDING) {
				// The client does not keep up: end the stream; it resumes from its
				// Last-Event-ID.
				pending.clear();
				pending.add(COMPLETE);
			}
			if (draining) {
				return;
			}
			draining = true;
		}
		senders.execute(this::drain);
	}

	private void drain() {
		while (true) {
			SseEventBuilder frame;
			synchronized (this) {
				frame = pending.poll();
				if (frame == null || closed.get()) {
					draining = false;
					return;
				}
			}
			if (frame == COMPLETE) {
				close(true);
				return;
			}
			try {
				emitter.send(frame);
			}
			catch (IOException | IllegalStateException ex) {
				// The client went away (or the stream timed out): nothing more to write.
				close(false);
				return;
			}
		}
	}

	/**
	 * Ends the stream, once; {@code complete} finishes the response, otherwise the
	 * container already has.
	 */
	void close(boolean complete) {
		if (!closed.compareAndSet(false, true)) {
			return;
		}
		synchronized (this) {
			pending.clear();
			draining = false;
		}
		onClose.run();
		if (complete) {
			try {
				emitter.complete();
			}
			catch (RuntimeException ex) {
				// already completed by the container
			}
		}
	}

}
