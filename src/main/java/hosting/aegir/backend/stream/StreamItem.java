package hosting.aegir.backend.stream;

import java.time.OffsetDateTime;

/**
 * A log line ({@code line}) or a task event, serialised once for every stream that sends
 * it.
 */
record StreamItem(boolean line, long seq, OffsetDateTime at, String json) {
}
