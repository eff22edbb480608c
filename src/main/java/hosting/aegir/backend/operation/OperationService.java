package hosting.aegir.backend.operation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationEvents.TaskTally;
import hosting.aegir.backend.operation.OperationView.TaskStatus;
import hosting.aegir.backend.operation.OperationView.TaskView;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;

/**
 * Accepts, cancels and reads operations; the one place the API's rules about them live.
 */
@Service
public class OperationService {

	private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
	};

	private static final TypeReference<List<TaskSpec>> TASKS = new TypeReference<>() {
	};

	private final OperationStore store;

	private final OperationLog log;

	private final OperationEvents events;

	private final OperationList list;

	private final SubmissionPolicy policy;

	private final JsonMapper json;

	private final CallbackDeliveries callbacks;

	private final QueueWakeUps wakeUps;

	// Sorted keys and properties: equal requests hash equally whatever order the client
	// wrote.
	private final JsonMapper canonicalJson;

	// Writers built once for the stored columns' types: each write starts from a known
	// root serializer instead of looking one up for the value's runtime class.
	private final ObjectWriter varsJson;

	private final ObjectWriter tasksJson;

	private final ObjectWriter stringsJson;

	// And readers for them, for every read of an operation.
	private final ObjectReader mapReader;

	private final ObjectReader tasksReader;

	private final ObjectReader stringsReader;

	OperationService(OperationStore store, OperationLog log, OperationEvents events, OperationList list,
			SubmissionPolicy policy, JsonMapper json, CallbackDeliveries callbacks, QueueWakeUps wakeUps) {
		this.list = list;
		this.store = store;
		this.log = log;
		this.events = events;
		this.policy = policy;
		this.json = json;
		this.callbacks = callbacks;
		this.wakeUps = wakeUps;
		this.canonicalJson = json.rebuild()
			.enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
			.enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
			.build();
		this.varsJson = json.writerFor(MAP);
		this.tasksJson = json.writerFor(TASKS);
		this.stringsJson = json.writerFor(STRINGS);
		this.mapReader = json.readerFor(MAP);
		this.tasksReader = json.readerFor(TASKS);
		this.stringsReader = json.readerFor(STRINGS);
	}

	/**
	 * The outcome of a submission: the operation, whether this call created it, and its
	 * validator (ETag).
	 */
	public record Submission(OperationView operation, boolean created, String etag) {
	}

	/**
	 * Stores a new queued operation (committed when this returns) and then wakes the
	 * queue. With an idempotency key, a repeat of the same request returns the operation
	 * it created; another request under the same key is a conflict.
	 */
	public Submission submit(SubmitOperationRequest request, String idempotencyKey) {
		NewOperation spec = policy.apply(request, idempotencyKey);
		// Hashed as the text's UTF-8, as every stored request_hash was:
		// theIdempotencyHashOfAKnownRequestDoesNotChange pins the value.
		String hash = sha256(canonicalJson.writeValueAsString(spec));
		if (idempotencyKey != null) {
			var existing = store.findByIdempotencyKey(idempotencyKey);
			if (existing.isPresent()) {
				return replay(existing.get(), hash);
			}
		}
		UUID id = UUID.randomUUID();
		OperationStore.Inserted inserted;
		try {
			// One autocommitted statement: once it returns the operation is durable. The
			// answer is built
			// from what was inserted, not read back: a failed read after the commit would
			// answer an error
			// for work that was accepted.
			inserted = store.insertQueued(id, spec, varsJson.writeValueAsString(spec.vars()),
					tasksJson.writeValueAsString(spec.tasks()), stringsJson.writeValueAsString(spec.secretVars()),
					hash);
		}
		catch (DataIntegrityViolationException ex) {
			// Two submissions raced on one key: the unique index let one in; answer as a
			// replay of it.
			if (idempotencyKey != null) {
				var winner = store.findByIdempotencyKey(idempotencyKey);
				if (winner.isPresent()) {
					return replay(winner.get(), hash);
				}
			}
			throw ex;
		}
		wakeQueue(spec.engine());
		return new Submission(queuedView(id, spec, inserted.createdAt()), true, inserted.etag());
	}

	// The wake-up goes after the insert's commit, never in its transaction: a NOTIFY in
	// the inserting transaction takes PostgreSQL's global notification lock from before
	// its commit until after the commit record is flushed, so concurrent submissions
	// would commit one fsync at a time (pgbench on this machine, 32 clients: 150-180
	// inserts/s with the NOTIFY inside, 2,000 without). QueueWakeUps sends it, one for a
	// burst of concurrent submissions (an isolated one still sends it before its
	// answer). A wake-up that fails is not the submission failing: every replica's
	// fallback poll (aegir.executor.poll-interval) finds the committed row.
	private void wakeQueue(String engine) {
		wakeUps.queued(engine);
	}

	private Submission replay(OperationStore.Stored existing, String hash) {
		if (!existing.requestHash().equals(hash)) {
			throw new IdempotencyConflictException(existing.id());
		}
		return new Submission(view(existing), false, existing.etag());
	}

	// What a read of the row just inserted would show: queued, nothing run, every task
	// pending.
	private static OperationView queuedView(UUID id, NewOperation spec, OffsetDateTime createdAt) {
		List<TaskView> tasks = new ArrayList<>(spec.tasks().size());
		for (int i = 0; i < spec.tasks().size(); i++) {
			TaskSpec task = spec.tasks().get(i);
			tasks.add(new TaskView(i, task.name(), masked(task.vars(), spec.secretVars()), task.tasksFrom(),
					TaskStatus.PENDING, 0, 0));
		}
		return new OperationView(id, spec.type(), spec.engine(), spec.target(), spec.hosts(),
				masked(spec.vars(), spec.secretVars()), tasks, OperationStatus.QUEUED, null, null, Map.of(),
				spec.timeoutSeconds(), spec.retry(), spec.maxAttempts(), 0, null, null, createdAt, null, null,
				spec.callbackUrl(), null, spec.check(), spec.verbosity());
	}

	/** An operation as shown, with its weak validator (ETag) for that rendering. */
	public record Read(OperationView operation, String etag) {
	}

	/**
	 * The operation and its validator as a caller in {@code variant} sees it (outputs are
	 * masked by the caller).
	 */
	Read read(UUID id, OperationStore.Variant variant) {
		OperationStore.Stored stored = store.find(id, variant).orElseThrow(() -> new OperationNotFoundException(id));
		return new Read(view(stored), stored.etag());
	}

	/**
	 * Only the validator, for a conditional poll: no JSON is parsed and nothing is built.
	 */
	String etag(UUID id, OperationStore.Variant variant) {
		return store.etag(id, variant).orElseThrow(() -> new OperationNotFoundException(id));
	}

	public OperationView get(UUID id) {
		return read(id, OperationStore.Variant.SUBMITTER).operation();
	}

	/**
	 * Summaries, newest first, after the cursor {@code after} (a previous page's
	 * {@code next}), if given.
	 */
	public OperationPage list(OperationStatus status, String target, String type, String after, int size) {
		return list.page(status, target, type, after, size);
	}

	public LogPage log(UUID id, long after, int limit) {
		// Read the status before the lines: if it was terminal then, no line can follow
		// the ones read.
		boolean finished = status(id).isTerminal();
		List<LogLine> lines = log.after(id, after, limit);
		long next = lines.isEmpty() ? after : lines.get(lines.size() - 1).seq();
		return new LogPage(lines, next, finished && lines.size() < limit);
	}

	public EventPage events(UUID id, long after, int limit) {
		// As for the log: a terminal status read first means no event can follow the ones
		// read.
		boolean finished = status(id).isTerminal();
		List<TaskEvent> found = events.after(id, after, limit);
		long next = found.isEmpty() ? after : found.get(found.size() - 1).seq();
		return new EventPage(found, next, finished && found.size() < limit);
	}

	/**
	 * The outcome of a cancel request: the operation, whether the request changed
	 * anything, and its validator.
	 */
	public record Cancellation(OperationView operation, boolean changed, String etag) {
	}

	/**
	 * Queued operations are cancelled at once; running ones are asked to stop (the
	 * executor running them finishes the transition); finished ones are left as they are.
	 */
	public Cancellation cancel(UUID id, String by) {
		String reason = "cancelled by " + by;
		// A concurrent claim or completion may move the operation between our guarded
		// updates; each
		// pass re-reads the status, and the status can only move forward, so this ends.
		for (int pass = 0; pass < 3; pass++) {
			Read op = read(id, OperationStore.Variant.SUBMITTER);
			switch (op.operation().status()) {
				case QUEUED -> {
					if (store.cancelQueued(id, reason)) {
						return cancellation(id, true);
					}
				}
				case RUNNING -> {
					if (store.requestCancel(id, reason)) {
						return cancellation(id, true);
					}
				}
				default -> {
					return new Cancellation(op.operation(), false, op.etag());
				}
			}
		}
		return cancellation(id, false);
	}

	private Cancellation cancellation(UUID id, boolean changed) {
		Read op = read(id, OperationStore.Variant.SUBMITTER);
		return new Cancellation(op.operation(), changed, op.etag());
	}

	private OperationStatus status(UUID id) {
		return store.status(id).orElseThrow(() -> new OperationNotFoundException(id));
	}

	/** What secret variables read back as. */
	public static final String MASK = "********";

	private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
	};

	private OperationView view(OperationStore.Stored op) {
		List<String> secrets = stringsReader.readValue(op.secretVars());
		List<TaskSpec> specs = tasksReader.readValue(op.tasks());
		Map<Integer, TaskTally> tallies = op.tallies();
		int lastStarted = tallies.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
		List<TaskView> tasks = new ArrayList<>(specs.size());
		for (int i = 0; i < specs.size(); i++) {
			TaskSpec spec = specs.get(i);
			TaskTally tally = tallies.get(i);
			tasks.add(new TaskView(i, spec.name(), masked(spec.vars(), secrets), spec.tasksFrom(),
					taskStatus(tally, i, lastStarted, op.status()), tally == null ? 0 : tally.results(),
					tally == null ? 0 : tally.changed()));
		}
		return new OperationView(op.id(), op.type(), op.engine(), op.target(), op.hosts(),
				masked(mapReader.readValue(op.vars()), secrets), tasks, op.status(), op.exitCode(), op.reason(),
				mapReader.readValue(op.outputs()), op.timeoutSeconds(), op.retry(), op.maxAttempts(), op.attempt(),
				op.claimedBy(), op.heartbeatAt(), op.createdAt(), op.startedAt(), op.finishedAt(), op.callbackUrl(),
				op.callbackUrl() == null ? null : callbacks.of(op.id()).orElse(null), op.check(), op.verbosity());
	}

	private static Map<String, Object> masked(Map<String, Object> vars, List<String> secrets) {
		if (vars == null || secrets.isEmpty()) {
			return vars;
		}
		Map<String, Object> copy = new LinkedHashMap<>(vars);
		secrets.stream().filter(copy::containsKey).forEach(name -> copy.put(name, MASK));
		return copy;
	}

	// Tasks run in order, so a task with results before the last one that has results is
	// done.
	private static TaskStatus taskStatus(TaskTally tally, int index, int lastStarted, OperationStatus op) {
		if (tally != null) {
			if (tally.failed()) {
				return TaskStatus.FAILED;
			}
			return (op.isTerminal() || index < lastStarted) ? TaskStatus.SUCCEEDED : TaskStatus.RUNNING;
		}
		if (op == OperationStatus.SUCCEEDED) {
			return TaskStatus.SUCCEEDED;
		}
		return op.isTerminal() ? TaskStatus.NOT_RUN : TaskStatus.PENDING;
	}

	static String sha256(String text) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every JVM has SHA-256", ex);
		}
	}

}
