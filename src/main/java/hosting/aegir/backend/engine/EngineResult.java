package hosting.aegir.backend.engine;

/**
 * How a run ended.
 *
 * @param exitCode the engine's exit code (0: success)
 * @param failure why it failed, naming the failing task where known; null on success
 */
public record EngineResult(int exitCode, String failure) {

	public static EngineResult success() {
		return new EngineResult(0, null);
	}

	public boolean succeeded() {
		return exitCode == 0;
	}

}
