package hosting.aegir.backend.operation;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The lifecycle of an operation, and which status may follow which. The table below is
 * the rule every status-guarded statement on the {@code operation} table keeps (see
 * {@link OperationTransition}, which names each statement's moves):
 * <ul>
 * <li>{@code QUEUED → RUNNING} (claimed) or {@code CANCELLED} (cancelled before it
 * ran);</li>
 * <li>{@code RUNNING → SUCCEEDED | FAILED | TIMED_OUT | CANCELLED} (completed, reaped or
 * cancelled on shutdown), {@code → CANCELLING} (a cancel was requested) or
 * {@code → QUEUED} (handed back, or reaped with a retry left);</li>
 * <li>{@code CANCELLING → CANCELLED}, or whatever the run ended with if it finished
 * before it heard of the cancel ({@code SUCCEEDED | FAILED | TIMED_OUT}).</li>
 * </ul>
 * Terminal states never change.
 */
public enum OperationStatus {

	QUEUED, RUNNING, CANCELLING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED;

	private static final Map<OperationStatus, Set<OperationStatus>> ALLOWED_NEXT = table();

	private static Map<OperationStatus, Set<OperationStatus>> table() {
		Map<OperationStatus, Set<OperationStatus>> next = new EnumMap<>(OperationStatus.class);
		next.put(QUEUED, EnumSet.of(RUNNING, CANCELLED));
		next.put(RUNNING, EnumSet.of(CANCELLING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, QUEUED));
		next.put(CANCELLING, EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED));
		for (OperationStatus terminal : EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED)) {
			next.put(terminal, EnumSet.noneOf(OperationStatus.class));
		}
		next.replaceAll((status, statuses) -> Collections.unmodifiableSet(statuses));
		return Collections.unmodifiableMap(next);
	}

	/** The statuses this one may move to; none for a terminal status. */
	public Set<OperationStatus> allowedNext() {
		return ALLOWED_NEXT.get(this);
	}

	/** Whether an operation in this status may move to {@code next}. */
	public boolean mayBecome(OperationStatus next) {
		return allowedNext().contains(next);
	}

	/** Whether this status is final: nothing follows it. */
	public boolean isTerminal() {
		return allowedNext().isEmpty();
	}

}
