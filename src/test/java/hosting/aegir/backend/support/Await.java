package hosting.aegir.backend.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.awaitility.Awaitility;

/**
 * Waits for a condition with a generous deadline: tests assert what happens, not how fast. A thin
 * name over Awaitility, kept for the tests that still call it; new tests use Awaitility directly.
 */
public final class Await {

	private Await() {
	}

	public static void until(String what, Duration timeout, BooleanSupplier condition) {
		Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
	}

}
