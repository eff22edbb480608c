package hosting.aegir.backend.operation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * An operation this replica has claimed and must run, as the claim query returned it,
 * with what earlier runs of it stored ({@code stored}: where this run's log goes on).
 */
public record ClaimedOperation(UUID id, String type, String engine, String target, String hosts, String varsJson,
		String tasksJson, String secretVarsJson, int timeoutSeconds, int attempt, int maxAttempts, boolean retry,
		Instant startedAt, boolean check, int verbosity, StoredOutput stored) {

	/** A claimed real, quiet run, of an operation that has stored nothing yet. */
	public ClaimedOperation(UUID id, String type, String engine, String target, String hosts, String varsJson,
			String tasksJson, String secretVarsJson, int timeoutSeconds, int attempt, int maxAttempts, boolean retry,
			Instant startedAt) {
		this(id, type, engine, target, hosts, varsJson, tasksJson, secretVarsJson, timeoutSeconds, attempt, maxAttempts,
				retry, startedAt, false, 0, StoredOutput.NONE);
	}

	/**
	 * The log and events earlier runs of an operation stored: a later attempt, or the
	 * same attempt again after a hand-back, continues their numbering and byte budget.
	 */
	public record StoredOutput(long lastLogSeq, long lastEventSeq, long logBytes) {

		public static final StoredOutput NONE = new StoredOutput(0, 0, 0);

	}

	private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
	};

	private static final TypeReference<List<Map<String, Object>>> TASKS = new TypeReference<>() {
	};

	private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
	};

	/** What the engine is asked to run, parsed once from the claimed row. */
	public EngineRequest engineRequest(JsonMapper json) {
		List<Map<String, Object>> tasks = json.readValue(tasksJson, TASKS);
		List<EngineTask> engineTasks = new ArrayList<>(tasks.size());
		for (int i = 0; i < tasks.size(); i++) {
			Map<String, Object> task = tasks.get(i);
			@SuppressWarnings("unchecked")
			Map<String, Object> vars = (Map<String, Object>) task.getOrDefault("vars", Map.of());
			engineTasks.add(new EngineTask(i, (String) task.get("name"), vars, (String) task.get("tasksFrom")));
		}
		return new EngineRequest(id, attempt, hosts, json.readValue(varsJson, MAP), engineTasks,
				Duration.ofSeconds(timeoutSeconds), check, verbosity);
	}

	/** The names of the variables whose values must never be shown. */
	public List<String> secretVars(JsonMapper json) {
		return json.readValue(secretVarsJson, STRINGS);
	}

}
