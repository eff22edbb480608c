package hosting.aegir.backend.operation;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import hosting.aegir.backend.operation.OperationEvents.TaskTally;
import hosting.aegir.backend.operation.OperationView.TaskStatus;
import hosting.aegir.backend.operation.OperationView.TaskView;
import hosting.aegir.backend.queue.OperationQueue;
import hosting.aegir.backend.queue.OperationStatus;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/** Accepts, cancels and reads operations; the one place the API's rules about them live. */
@Service
public class OperationService {

	private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
	};

	private static final TypeReference<List<TaskSpec>> TASKS = new TypeReference<>() {
	};

	private final OperationRepository operations;

	private final OperationQueue queue;

	private final OperationLog log;

	private final OperationEvents events;

	private final OperationList list;

	private final SubmissionPolicy policy;

	private final TransactionTemplate tx;

	private final JsonMapper json;

	private final CallbackDeliveries callbacks;

	// Sorted keys and properties: equal requests hash equally whatever order the client wrote.
	private final JsonMapper canonicalJson;

	OperationService(OperationRepository operations, OperationQueue queue, OperationLog log, OperationEvents events,
			OperationList list, SubmissionPolicy policy, TransactionTemplate tx, JsonMapper json,
			CallbackDeliveries callbacks) {
		this.list = list;
		this.operations = operations;
		this.queue = queue;
		this.log = log;
		this.events = events;
		this.policy = policy;
		this.tx = tx;
		this.json = json;
		this.callbacks = callbacks;
		this.canonicalJson = json.rebuild()
			.enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
			.enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
			.build();
	}

	/** The outcome of a submission: the operation, and whether this call created it. */
	public record Submission(OperationView operation, boolean created) {
	}

	/**
	 * Stores a new queued operation and wakes the queue, in one transaction: once this returns the
	 * operation is committed. With an idempotency key, a repeat of the same request returns the
	 * operation it created; another request under the same key is a conflict.
	 */
	public Submission submit(SubmitOperationRequest request, String idempotencyKey) {
		NewOperation spec = policy.apply(request, idempotencyKey);
		String hash = sha256(canonicalJson.writeValueAsString(spec));
		if (idempotencyKey != null) {
			var existing = operations.findByIdempotencyKey(idempotencyKey);
			if (existing.isPresent()) {
				return replay(existing.get(), hash);
			}
		}
		Operation op = Operation.queued(UUID.randomUUID(), spec, json.writeValueAsString(spec.vars()),
				json.writeValueAsString(spec.tasks()), json.writeValueAsString(spec.secretVars()), hash);
		try {
			tx.executeWithoutResult(status -> {
				operations.saveAndFlush(op);
				queue.notifyQueued(spec.engine());
			});
		}
		catch (DataIntegrityViolationException ex) {
			// Two submissions raced on one key: the unique index let one in; answer as a replay of it.
			if (idempotencyKey != null) {
				var winner = operations.findByIdempotencyKey(idempotencyKey);
				if (winner.isPresent()) {
					return replay(winner.get(), hash);
				}
			}
			throw ex;
		}
		return new Submission(get(op.getId()), true);
	}

	private Submission replay(Operation existing, String hash) {
		if (!existing.getRequestHash().equals(hash)) {
			throw new IdempotencyConflictException(existing.getId());
		}
		return new Submission(view(existing), false);
	}

	public OperationView get(UUID id) {
		return view(find(id));
	}

	/** Summaries, newest first, after the cursor {@code after} (a previous page's {@code next}), if given. */
	public OperationPage list(OperationStatus status, String target, String type, String after, int size) {
		return list.page(status, target, type, after, size);
	}

	public LogPage log(UUID id, long after, int limit) {
		// Read the status before the lines: if it was terminal then, no line can follow the ones read.
		boolean finished = find(id).getStatus().isTerminal();
		List<LogLine> lines = log.after(id, after, limit);
		long next = lines.isEmpty() ? after : lines.get(lines.size() - 1).seq();
		return new LogPage(lines, next, finished && lines.size() < limit);
	}

	public EventPage events(UUID id, long after, int limit) {
		// As for the log: a terminal status read first means no event can follow the ones read.
		boolean finished = find(id).getStatus().isTerminal();
		List<TaskEvent> found = events.after(id, after, limit);
		long next = found.isEmpty() ? after : found.get(found.size() - 1).seq();
		return new EventPage(found, next, finished && found.size() < limit);
	}

	/** The outcome of a cancel request: the operation, and whether the request changed anything. */
	public record Cancellation(OperationView operation, boolean changed) {
	}

	/**
	 * Queued operations are cancelled at once; running ones are asked to stop (the executor running
	 * them finishes the transition); finished ones are left as they are.
	 */
	public Cancellation cancel(UUID id, String by) {
		String reason = "cancelled by " + by;
		// A concurrent claim or completion may move the operation between our guarded updates; each
		// pass re-reads the status, and the status can only move forward, so this ends.
		for (int pass = 0; pass < 3; pass++) {
			Operation op = find(id);
			switch (op.getStatus()) {
				case QUEUED -> {
					if (queue.cancelQueued(id, reason)) {
						return new Cancellation(get(id), true);
					}
				}
				case RUNNING -> {
					if (queue.requestCancel(id, reason)) {
						return new Cancellation(get(id), true);
					}
				}
				default -> {
					return new Cancellation(view(op), false);
				}
			}
		}
		return new Cancellation(get(id), false);
	}

	private Operation find(UUID id) {
		return operations.findById(id).orElseThrow(() -> new OperationNotFoundException(id));
	}

	/** What secret variables read back as. */
	public static final String MASK = "********";

	private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
	};

	private OperationView view(Operation op) {
		List<String> secrets = json.readValue(op.getSecretVars(), STRINGS);
		List<TaskSpec> specs = json.readValue(op.getTasks(), TASKS);
		Map<Integer, TaskTally> tallies = events.tally(op.getId())
			.stream()
			.collect(Collectors.toMap(TaskTally::taskIndex, Function.identity()));
		int lastStarted = tallies.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
		List<TaskView> tasks = new ArrayList<>(specs.size());
		for (int i = 0; i < specs.size(); i++) {
			TaskSpec spec = specs.get(i);
			TaskTally tally = tallies.get(i);
			tasks.add(new TaskView(i, spec.name(), masked(spec.vars(), secrets), spec.tasksFrom(),
					taskStatus(tally, i, lastStarted, op.getStatus()), tally == null ? 0 : tally.results(),
					tally == null ? 0 : tally.changed()));
		}
		return new OperationView(op.getId(), op.getType(), op.getEngine(), op.getTarget(), op.getHosts(),
				masked(json.readValue(op.getVars(), MAP), secrets), tasks, op.getStatus(), op.getExitCode(), op.getReason(),
				json.readValue(op.getOutputs(), MAP), op.getTimeoutSeconds(), op.isRetry(), op.getMaxAttempts(),
				op.getAttempt(), op.getClaimedBy(), op.getHeartbeatAt(), op.getCreatedAt(), op.getStartedAt(),
				op.getFinishedAt(), op.getCallbackUrl(),
				op.getCallbackUrl() == null ? null : callbacks.of(op.getId()).orElse(null));
	}

	private static Map<String, Object> masked(Map<String, Object> vars, List<String> secrets) {
		if (vars == null || secrets.isEmpty()) {
			return vars;
		}
		Map<String, Object> copy = new LinkedHashMap<>(vars);
		secrets.stream().filter(copy::containsKey).forEach(name -> copy.put(name, MASK));
		return copy;
	}

	// Tasks run in order, so a task with results before the last one that has results is done.
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
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every JVM has SHA-256", ex);
		}
	}

}
