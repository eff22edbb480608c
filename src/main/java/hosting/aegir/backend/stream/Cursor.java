package hosting.aegir.backend.stream;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A position in an operation's stream: the sequence number of the last log line and of
 * the last task event delivered. It is the SSE event {@code id}, written
 * {@code <log>-<event>} (e.g. {@code 42-3}), so that a reconnecting client's
 * {@code Last-Event-ID} says exactly what it has.
 */
record Cursor(long logSeq, long eventSeq) {

	static final Cursor START = new Cursor(0, 0);

	private static final Pattern FORMAT = Pattern.compile("(\\d{1,18})(?:-(\\d{1,18}))?");

	/**
	 * Parses a {@code Last-Event-ID}; a bare number is a log sequence number (task events
	 * are then sent from the start). Null when the text is not a cursor.
	 */
	static Cursor parse(String text) {
		Matcher m = FORMAT.matcher(text.strip());
		if (!m.matches()) {
			return null;
		}
		return new Cursor(Long.parseLong(m.group(1)), m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
	}

	boolean covers(Cursor other) {
		return logSeq >= other.logSeq && eventSeq >= other.eventSeq;
	}

	@Override
	public String toString() {
		return logSeq + "-" + eventSeq;
	}

}
