package hosting.aegir.backend.operation;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static hosting.aegir.backend.operation.OperationStatus.CANCELLED;
import static hosting.aegir.backend.operation.OperationStatus.CANCELLING;
import static hosting.aegir.backend.operation.OperationStatus.FAILED;
import static hosting.aegir.backend.operation.OperationStatus.QUEUED;
import static hosting.aegir.backend.operation.OperationStatus.RUNNING;
import static hosting.aegir.backend.operation.OperationStatus.SUCCEEDED;
import static hosting.aegir.backend.operation.OperationStatus.TIMED_OUT;

/**
 * Every status-changing statement on the {@code operation} table, by name, with the moves
 * it may make: for each status its guard accepts, the statuses it may write. Each move is
 * one {@link OperationStatus} allows, and the statements are tested against these
 * declarations.
 */
public enum OperationTransition {

	/** A replica takes queued work. */
	CLAIM(Map.of(QUEUED, EnumSet.of(RUNNING))),

	/** A user cancels work that has not started. */
	CANCEL_QUEUED(Map.of(QUEUED, EnumSet.of(CANCELLED))),

	/** A user asks a running operation to stop; its replica finishes the move. */
	REQUEST_CANCEL(Map.of(RUNNING, EnumSet.of(CANCELLING))),

	/**
	 * The replica running it records how the run ended (a run that finished before it
	 * heard of a cancel keeps its own result).
	 */
	COMPLETE(Map.of(RUNNING, EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED), CANCELLING,
			EnumSet.of(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED))),

	/**
	 * Any replica ends a run whose executor is lost or that outlived its deadline: one
	 * with a retry left goes back to the queue, a cancelling one ends cancelled.
	 */
	REAP(Map.of(RUNNING, EnumSet.of(QUEUED, FAILED, TIMED_OUT), CANCELLING, EnumSet.of(CANCELLED))),

	/**
	 * The replica gives a claim back (not launched, or shut down with a retry); a
	 * cancelling one ends cancelled.
	 */
	HAND_BACK(Map.of(RUNNING, EnumSet.of(QUEUED), CANCELLING, EnumSet.of(CANCELLED)));

	private final Map<OperationStatus, Set<OperationStatus>> moves;

	OperationTransition(Map<OperationStatus, Set<OperationStatus>> moves) {
		this.moves = moves;
	}

	/** The statuses this transition's guard accepts. */
	public Set<OperationStatus> from() {
		return EnumSet.copyOf(this.moves.keySet());
	}

	/** The statuses this transition may write to a row found in {@code from}. */
	public Set<OperationStatus> to(OperationStatus from) {
		Set<OperationStatus> to = this.moves.get(from);
		return (to != null) ? EnumSet.copyOf(to) : EnumSet.noneOf(OperationStatus.class);
	}

	/** Whether this transition may move a row from {@code from} to {@code to}. */
	public boolean moves(OperationStatus from, OperationStatus to) {
		return to(from).contains(to);
	}

}
