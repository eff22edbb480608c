package hosting.aegir.backend.operation;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static hosting.aegir.backend.operation.OperationStatus.CANCELLED;
import static hosting.aegir.backend.operation.OperationStatus.CANCELLING;
import static hosting.aegir.backend.operation.OperationStatus.FAILED;
import static hosting.aegir.backend.operation.OperationStatus.QUEUED;
import static hosting.aegir.backend.operation.OperationStatus.RUNNING;
import static hosting.aegir.backend.operation.OperationStatus.SUCCEEDED;
import static hosting.aegir.backend.operation.OperationStatus.TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lifecycle's table, and the named transitions against it: a transition makes only
 * moves the table allows, and the table allows nothing no transition makes.
 */
class OperationStatusTest {

	@Test
	void queuedWorkIsClaimedOrCancelled() {
		assertThat(QUEUED.allowedNext()).containsExactlyInAnyOrder(RUNNING, CANCELLED);
	}

	@Test
	void aRunEndsIsAskedToStopOrGoesBackToTheQueue() {
		assertThat(RUNNING.allowedNext()).containsExactlyInAnyOrder(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED, CANCELLING,
				QUEUED);
		assertThat(CANCELLING.allowedNext()).containsExactlyInAnyOrder(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED);
		assertThat(CANCELLING.mayBecome(QUEUED)).as("a cancel request is never undone").isFalse();
	}

	@Test
	void terminalStatusesNeverChange() {
		assertThat(EnumSet.allOf(OperationStatus.class)).filteredOn(OperationStatus::isTerminal)
			.containsExactlyInAnyOrder(SUCCEEDED, FAILED, TIMED_OUT, CANCELLED)
			.allSatisfy(status -> assertThat(status.allowedNext()).isEmpty());
	}

	@Test
	void everyTransitionMakesOnlyAllowedMoves() {
		for (OperationTransition transition : OperationTransition.values()) {
			assertThat(transition.from()).as(transition + " starts somewhere").isNotEmpty();
			for (OperationStatus from : transition.from()) {
				assertThat(transition.to(from)).as(transition + " from " + from).isNotEmpty();
				assertThat(from.allowedNext()).as(transition + " from " + from).containsAll(transition.to(from));
			}
		}
	}

	@Test
	void everyAllowedMoveIsMadeBySomeTransition() {
		for (OperationStatus from : OperationStatus.values()) {
			Set<OperationStatus> made = EnumSet.noneOf(OperationStatus.class);
			for (OperationTransition transition : OperationTransition.values()) {
				made.addAll(transition.to(from));
			}
			assertThat(made).as("moves from " + from).isEqualTo(from.allowedNext());
		}
	}

}
