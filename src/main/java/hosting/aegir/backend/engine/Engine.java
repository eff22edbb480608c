package hosting.aegir.backend.engine;

/**
 * Something that can run an operation's tasks: Ansible, Kubernetes, or a test double. An engine
 * knows nothing of HTTP or of the database; it reports what happens through the listener and ends
 * through the returned {@link Execution}.
 */
public interface Engine {

	/** The value of an operation's {@code engine} field this engine serves, e.g. {@code ansible}. */
	String name();

	/**
	 * Starts running the request and returns at once. The listener is called, from any thread, as
	 * the run produces log lines, task events and outputs, all before the execution's result
	 * completes.
	 */
	Execution start(EngineRequest request, ExecutionListener listener);

}
