package hosting.aegir.backend.queue;

import java.util.List;

/** Percentiles of measured durations, in milliseconds. */
record Stats(double p50, double p90, double p99, double max, int n) {

	static Stats ofNanos(List<Long> nanos) {
		double[] ms = nanos.stream().mapToDouble(v -> v / 1_000_000.0).sorted().toArray();
		return new Stats(pct(ms, 50), pct(ms, 90), pct(ms, 99), ms[ms.length - 1], ms.length);
	}

	private static double pct(double[] sorted, double p) {
		int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
		return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
	}

	@Override
	public String toString() {
		return String.format("n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms", n, p50, p90, p99, max);
	}

	static String row(String label, Stats s) {
		return String.format("%-44s %s", label, s);
	}

}
