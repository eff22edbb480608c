package hosting.aegir.backend.engine;

import java.util.concurrent.CompletableFuture;

/** A run in progress: its eventual result, and a way to stop it. */
public interface Execution {

	/** Completes when the run has ended and nothing of it is left running. */
	CompletableFuture<EngineResult> result();

	/**
	 * Asks the run to stop (killing its processes, deleting its Jobs); returns at once.
	 * The result then completes as soon as everything has stopped. Calling it again, or
	 * after the end, is harmless.
	 */
	void cancel();

}
