package hosting.aegir.backend.operation;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import org.springframework.dao.DataAccessResourceFailureException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

/**
 * The submit path's wake-ups: sent before the answer when none is in flight, coalesced
 * while one is, and never lost to one failure.
 */
class QueueWakeUpsTest {

	@Test
	void anIsolatedSubmissionSendsItsWakeUpBeforeReturning() throws Exception {
		OperationStore queue = mock(OperationStore.class);
		QueueWakeUps wakeUps = new QueueWakeUps(queue);
		try {
			wakeUps.queued("ansible");
			verify(queue).notifyQueued("ansible");
		}
		finally {
			wakeUps.stop();
		}
	}

	@Test
	void whatIsAskedForWhileOneIsSentIsCoveredByOneMorePerEngine() throws Exception {
		OperationStore queue = mock(OperationStore.class);
		CountDownLatch firstSending = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		// The first NOTIFY blocks until the burst below has been asked for.
		doAnswer(invocation -> {
			if (firstSending.getCount() > 0) {
				firstSending.countDown();
				release.await(10, TimeUnit.SECONDS);
			}
			return null;
		}).when(queue).notifyQueued(anyString());
		QueueWakeUps wakeUps = new QueueWakeUps(queue);
		try {
			CompletableFuture<Void> first = CompletableFuture.runAsync(() -> wakeUps.queued("ansible"));
			assertThat(firstSending.await(10, TimeUnit.SECONDS)).isTrue();
			for (int i = 0; i < 100; i++) {
				// Each returns at once: a wake-up is in flight.
				wakeUps.queued("ansible");
				wakeUps.queued("kubernetes");
			}
			release.countDown();
			first.get(10, TimeUnit.SECONDS);
			await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
				verify(queue, times(2)).notifyQueued("ansible");
				verify(queue, times(1)).notifyQueued("kubernetes");
			});
		}
		finally {
			wakeUps.stop();
		}
	}

	@Test
	void aFailedWakeUpDoesNotStopTheNextOnes() throws Exception {
		OperationStore queue = mock(OperationStore.class);
		doThrow(new DataAccessResourceFailureException("down")).doNothing().when(queue).notifyQueued("ansible");
		QueueWakeUps wakeUps = new QueueWakeUps(queue);
		try {
			wakeUps.queued("ansible");
			wakeUps.queued("ansible");
			verify(queue, times(2)).notifyQueued("ansible");
		}
		finally {
			wakeUps.stop();
		}
	}

}
