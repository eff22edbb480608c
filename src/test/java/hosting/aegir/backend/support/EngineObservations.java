package hosting.aegir.backend.support;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a test engine saw: runs per operation, concurrency per key, cancels that reached
 * it, start times.
 */
public class EngineObservations {

	private final Map<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> activePerKey = new ConcurrentHashMap<>();

	private final AtomicInteger maxActivePerKey = new AtomicInteger();

	private final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();

	private final Set<UUID> ended = ConcurrentHashMap.newKeySet();

	private final Map<UUID, Long> startNanos = new ConcurrentHashMap<>();

	void started(UUID id, String key) {
		startNanos.putIfAbsent(id, System.nanoTime());
		runs.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
		int active = activePerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
		maxActivePerKey.accumulateAndGet(active, Math::max);
	}

	void ended(UUID id, String key, boolean wasCancelled) {
		activePerKey.get(key).decrementAndGet();
		if (wasCancelled) {
			cancelled.add(id);
		}
		ended.add(id);
	}

	public int runs(UUID id) {
		AtomicInteger n = runs.get(id);
		return n == null ? 0 : n.get();
	}

	public Map<UUID, AtomicInteger> allRuns() {
		return runs;
	}

	public int maxActivePerKey() {
		return maxActivePerKey.get();
	}

	/** True once the engine's run of this operation was cancelled and has stopped. */
	public boolean cancelledAndStopped(UUID id) {
		return cancelled.contains(id) && ended.contains(id);
	}

	public boolean ended(UUID id) {
		return ended.contains(id);
	}

	public Long startNanos(UUID id) {
		return startNanos.get(id);
	}

}
