package hosting.aegir.backend.queue;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of an operation:
 * {@code QUEUED → RUNNING → SUCCEEDED | FAILED | TIMED_OUT}, {@code QUEUED → CANCELLED},
 * {@code RUNNING → CANCELLING → CANCELLED}. Terminal states never change.
 */
public enum OperationStatus {

	QUEUED, RUNNING, CANCELLING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED;

	private static final Set<OperationStatus> TERMINAL = EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED);

	public boolean isTerminal() {
		return TERMINAL.contains(this);
	}

}
