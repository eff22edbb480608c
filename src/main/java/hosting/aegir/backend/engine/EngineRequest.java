package hosting.aegir.backend.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What an engine is asked to run: the operation's tasks, in order, on its hosts.
 *
 * @param operationId the operation, for naming what the engine creates
 * @param attempt which attempt this is (1 for the first run)
 * @param hosts inventory pattern or namespace
 * @param vars variables shared by all tasks
 * @param tasks the tasks, in order
 * @param timeout how long the run may take; the queue enforces it, an engine may use it too
 */
public record EngineRequest(UUID operationId, int attempt, String hosts, Map<String, Object> vars,
		List<EngineTask> tasks, Duration timeout) {

	/** One task: a catalog name, its own vars, an optional task file. */
	public record EngineTask(int index, String name, Map<String, Object> vars, String tasksFrom) {
	}

}
