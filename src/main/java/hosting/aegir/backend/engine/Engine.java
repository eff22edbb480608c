package hosting.aegir.backend.engine;

import java.util.List;
import java.util.Map;

/**
 * Something that can run an operation's tasks: Ansible, Kubernetes, or a test double. An
 * engine knows nothing of HTTP or of the database; it reports what happens through the
 * listener and ends through the returned {@link Execution}.
 */
public interface Engine {

	/**
	 * The value of an operation's {@code engine} field this engine serves, e.g.
	 * {@code ansible}.
	 */
	String name();

	/**
	 * Starts running the request and returns at once. The listener is called, from any
	 * thread, as the run produces log lines, task events and outputs, all before the
	 * execution's result completes.
	 */
	Execution start(EngineRequest request, ExecutionListener listener);

	/**
	 * What this engine refuses in a submission, beyond the catalog's checks of tasks and
	 * types: the hosts it may not use, values it cannot turn into what it runs. Called
	 * before anything is stored; each refusal becomes a 422 naming the field.
	 */
	default List<Refusal> refusals(String hosts, Map<String, Object> vars, List<EngineRequest.EngineTask> tasks) {
		return List.of();
	}

	/**
	 * Whether this engine can run an operation as a dry run ({@code check: true}) that
	 * changes nothing and reports what would change; a submission asking one of an engine
	 * that cannot is a 422.
	 */
	default boolean dryRuns() {
		return false;
	}

	/**
	 * Why a submission cannot run on this engine, named by the request field it is about.
	 */
	record Refusal(String field, String message) {
	}

}
