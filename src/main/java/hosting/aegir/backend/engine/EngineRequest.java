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
 * @param timeout how long the run may take; the queue enforces it, an engine may use it
 * too
 * @param check a dry run: change nothing, report what would change (only engines that
 * {@link Engine#dryRuns()})
 * @param verbosity how much the run says, 0 to 4
 */
public record EngineRequest(UUID operationId, int attempt, String hosts, Map<String, Object> vars,
		List<EngineTask> tasks, Duration timeout, boolean check, int verbosity) {

	/** A real, quiet run. */
	public EngineRequest(UUID operationId, int attempt, String hosts, Map<String, Object> vars, List<EngineTask> tasks,
			Duration timeout) {
		this(operationId, attempt, hosts, vars, tasks, timeout, false, 0);
	}

	/** One task: a catalog name, its own vars, an optional task file. */
	public record EngineTask(int index, String name, Map<String, Object> vars, String tasksFrom) {
	}

}
