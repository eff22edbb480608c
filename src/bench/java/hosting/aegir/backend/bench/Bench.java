package hosting.aegir.backend.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * The one benchmark harness: warm-up kept apart from measurement, sides measured alternately in the
 * same rounds, each figure the median of the rounds with min and max, ratios computed per round
 * (so both sides of a ratio saw the same machine at the same moment) and reported as the median of
 * those. {@link #finish()} prints a table and writes the same figures as JSON under
 * {@code target/bench/<name>.json}.
 *
 * <p>Usage: {@code Bench bench = new Bench("accept");}
 * {@code bench.compare("accept", 2, 5, Side.of("POST /operations", "req/s", () -> …), Side.of(…));}
 * {@code bench.ratio("accept / liveness", "POST /operations", "GET liveness", Target.atLeast(0.4));}
 * {@code bench.finish();}
 */
public final class Bench {

	private final String name;

	private final Map<String, Figure> figures = new LinkedHashMap<>();

	private final List<Ratio> ratios = new ArrayList<>();

	private final List<String> notes = new ArrayList<>();

	private final Map<String, double[]> perRound = new LinkedHashMap<>();

	private final List<Check> checks = new ArrayList<>();

	public Bench(String name) {
		this.name = name;
	}

	/** One measured side: its label, unit and a round that returns one value in that unit. */
	public record Side(String label, String unit, Measure measure) {

		public static Side of(String label, String unit, Measure measure) {
			return new Side(label, unit, measure);
		}

	}

	/** One round of a side's measurement. */
	@FunctionalInterface
	public interface Measure {

		double run() throws Exception;

	}

	/** What a ratio must meet. */
	public record Target(String text, double bound, boolean atLeast) {

		public static Target atLeast(double bound) {
			return new Target("≥ " + bound, bound, true);
		}

		public static Target atMost(double bound) {
			return new Target("≤ " + bound, bound, false);
		}

		public static Target none() {
			return new Target("", Double.NaN, true);
		}

		boolean met(double value) {
			return Double.isNaN(bound) || (atLeast ? value >= bound : value <= bound);
		}

	}

	/** A measured figure: median of its rounds, with min and max. */
	public record Figure(String label, String unit, double median, double min, double max, int rounds) {
	}

	/** A ratio of two figures, from the same rounds. */
	public record Ratio(String label, String numerator, String denominator, double median, double min, double max,
			String target, boolean met) {
	}

	/**
	 * Runs {@code warmups} unrecorded rounds and then {@code rounds} recorded ones of every side,
	 * alternating which side goes first in each round.
	 */
	public void compare(String group, int warmups, int rounds, Side... sides) {
		for (int w = 0; w < warmups; w++) {
			for (Side side : sides) {
				run(side);
			}
		}
		double[][] values = new double[sides.length][rounds];
		for (int r = 0; r < rounds; r++) {
			for (int i = 0; i < sides.length; i++) {
				int index = (r % 2 == 0) ? i : sides.length - 1 - i;
				values[index][r] = run(sides[index]);
			}
			StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  [%s] round %d/%d:", group, r + 1, rounds));
			for (int i = 0; i < sides.length; i++) {
				line.append(String.format(Locale.ROOT, " %s=%.3f %s", sides[i].label(), values[i][r], sides[i].unit()));
			}
			System.out.println(line);
		}
		for (int i = 0; i < sides.length; i++) {
			record(sides[i].label(), sides[i].unit(), values[i]);
		}
	}

	/** Records a figure measured elsewhere (one value per round). */
	public void record(String label, String unit, double... values) {
		perRound.put(label, values.clone());
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		figures.put(label, new Figure(label, unit, median(sorted), sorted[0], sorted[sorted.length - 1], sorted.length));
	}

	/** The ratio numerator/denominator, computed round by round, with its target. */
	public Ratio ratio(String label, String numerator, String denominator, Target target) {
		double[] top = require(numerator);
		double[] bottom = require(denominator);
		int n = Math.min(top.length, bottom.length);
		double[] each = new double[n];
		for (int i = 0; i < n; i++) {
			each[i] = top[i] / bottom[i];
		}
		Arrays.sort(each);
		double median = median(each);
		Ratio ratio = new Ratio(label, numerator, denominator, median, each[0], each[n - 1], target.text(), target.met(median));
		ratios.add(ratio);
		return ratio;
	}

	/** An absolute target on one figure's median (a latency bound, a rate to reach). */
	public record Check(String label, String figure, double median, String unit, String target, boolean met) {
	}

	/** Checks a recorded figure's median against an absolute target; printed and kept in the JSON like a ratio. */
	public Check target(String label, String figure, Target target) {
		Figure f = figures.get(figure);
		if (f == null) {
			throw new IllegalArgumentException("no figure named " + figure + "; have " + figures.keySet());
		}
		Check check = new Check(label, figure, f.median(), f.unit(), target.text(), target.met(f.median()));
		checks.add(check);
		return check;
	}

	/** A line of context printed under the table and kept in the JSON (machine, sizes, caveats). */
	public void note(String note) {
		notes.add(note);
	}

	public Figure figure(String label) {
		return figures.get(label);
	}

	private double[] require(String label) {
		double[] values = perRound.get(label);
		if (values == null) {
			throw new IllegalArgumentException("no figure named " + label + "; have " + perRound.keySet());
		}
		return values;
	}

	private static double run(Side side) {
		try {
			return side.measure().run();
		}
		catch (RuntimeException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new IllegalStateException(side.label() + " failed", ex);
		}
	}

	private static double median(double[] sorted) {
		return (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2;
	}

	/** Prints the table and writes {@code target/bench/<name>.json}. */
	public void finish() {
		StringBuilder out = new StringBuilder();
		out.append(System.lineSeparator()).append("== ").append(name).append(" ==").append(System.lineSeparator());
		out.append(String.format(Locale.ROOT, "%-58s %12s %12s %12s  %s%n", "figure", "median", "min", "max", "unit"));
		for (Figure f : figures.values()) {
			out.append(String.format(Locale.ROOT, "%-58s %12.3f %12.3f %12.3f  %s (%d rounds)%n", f.label(), f.median(), f.min(),
					f.max(), f.unit(), f.rounds()));
		}
		for (Ratio r : ratios) {
			out.append(String.format(Locale.ROOT, "%-58s %12.3f %12.3f %12.3f  target %s %s%n", "ratio " + r.label(), r.median(),
					r.min(), r.max(), r.target().isEmpty() ? "-" : r.target(),
					r.target().isEmpty() ? "" : (r.met() ? "MET" : "NOT MET")));
		}
		for (Check c : checks) {
			out.append(String.format(Locale.ROOT, "%-58s %12.3f %12s %12s  %s, target %s %s%n", "target " + c.label(), c.median(),
					"", "", c.unit(), c.target(), c.met() ? "MET" : "NOT MET"));
		}
		for (String note : notes) {
			out.append("  ").append(note).append(System.lineSeparator());
		}
		System.out.print(out);
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("benchmark", name);
		json.put("at", Instant.now().toString());
		json.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "java", System.getProperty("java.version"),
				"os", System.getProperty("os.name") + " " + System.getProperty("os.version")));
		json.put("figures", List.copyOf(figures.values()));
		json.put("ratios", ratios);
		json.put("targets", checks);
		json.put("notes", notes);
		try {
			Path dir = Files.createDirectories(Path.of("target", "bench"));
			Files.writeString(dir.resolve(name + ".json"),
					JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(json));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
