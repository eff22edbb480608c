package hosting.aegir.backend.engine;

/**
 * The result of one task on one host, as the engine saw it.
 *
 * @param taskIndex the operation task it belongs to, when the engine knows
 * @param status one of {@code ok}, {@code changed}, {@code failed}, {@code skipped},
 * {@code unreachable}
 */
public record EngineEvent(Integer taskIndex, String task, String role, String host, String status, boolean changed,
		Long durationMs, String message) {
}
