package hosting.aegir.backend.operation;

import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationStatus;

/**
 * Published by the runner inside the transaction that records an operation's end, so
 * listeners (the backup index) commit or roll back with it. {@code check}: it was a dry
 * run, which changed nothing.
 */
public record OperationFinished(UUID id, String type, String target, OperationStatus status,
		Map<String, Object> outputs, boolean check) {
}
