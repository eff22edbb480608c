package hosting.aegir.backend.operation;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationStore.BufferedLine;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Writes a mid-run batch of log lines with {@code COPY ... FROM STDIN (FORMAT binary)}
 * instead of {@code INSERT ... SELECT FROM unnest(arrays) ON CONFLICT}: the server
 * inserts the rows in multi-row groups (fewer WAL records, no speculative insertion per
 * row, no array literal to parse), and the driver sends plain bytes (no text array to
 * build and escape). Log writing is the path a long run's output takes, 200,000 lines and
 * more, so this is where the service's time per line goes.
 * <p>
 * COPY has no {@code ON CONFLICT}. A conflict cannot arise in the normal course: a run
 * continues numbering after what is stored (the claim returns where the stored log ends),
 * and a stale writer is refused by the fence before it writes. Should one arise anyway
 * (the same attempt run again after a hand-back, racing its own earlier lines), the COPY
 * runs behind a savepoint and the batch is written again by the caller's upsert, where
 * the current attempt's line replaces the stored one, as before.
 * <p>
 * The caller holds the fence: the operation row locked {@code FOR SHARE} in the same
 * transaction, so these lines are written only while the lease is this run's.
 */
final class LogCopy {

	static final String COPY = "COPY operation_log (operation_id, seq, at, stream, text) FROM STDIN (FORMAT binary)";

	// PGCOPY\n\377\r\n\0, then the flags and the header extension length (both 0).
	private static final byte[] HEADER = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0,
			0, 0, 0, 0 };

	// PostgreSQL's timestamps count microseconds from 2000-01-01T00:00:00Z.
	private static final long PG_EPOCH_SECONDS = 946_684_800L;

	private static final String UNIQUE_VIOLATION = "23505";

	private LogCopy() {
	}

	/**
	 * Copies the lines into {@code operation_log}; false if a line's number is already
	 * stored (nothing of the batch is then written: the caller writes it with its
	 * upsert). The connection is the caller's, inside its transaction.
	 */
	static boolean copy(Connection connection, UUID id, List<BufferedLine> lines) throws SQLException {
		PGConnection pg = connection.unwrap(PGConnection.class);
		Savepoint savepoint = connection.setSavepoint();
		try {
			write(pg, id, lines);
			return true;
		}
		catch (SQLException ex) {
			if (UNIQUE_VIOLATION.equals(ex.getSQLState())) {
				connection.rollback(savepoint);
				return false;
			}
			throw ex;
		}
	}

	private static void write(PGConnection pg, UUID id, List<BufferedLine> lines) throws SQLException {
		PGCopyOutputStream copy = new PGCopyOutputStream(pg, COPY, 64 * 1024);
		try {
			DataOutputStream out = new DataOutputStream(new BufferedOutputStream(copy, 64 * 1024));
			out.write(HEADER);
			for (BufferedLine line : lines) {
				out.writeShort(5);
				out.writeInt(16);
				out.writeLong(id.getMostSignificantBits());
				out.writeLong(id.getLeastSignificantBits());
				out.writeInt(8);
				out.writeLong(line.seq());
				out.writeInt(8);
				out.writeLong(pgMicros(line.at()));
				writeText(out, line.stream());
				writeText(out, line.text());
			}
			out.writeShort(-1);
			out.flush();
			copy.endCopy();
		}
		catch (IOException ex) {
			throw asSqlException(ex);
		}
		finally {
			if (copy.isActive()) {
				copy.cancelCopy();
			}
		}
	}

	private static void writeText(DataOutputStream out, String text) throws IOException {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		out.writeInt(bytes.length);
		out.write(bytes);
	}

	static long pgMicros(Instant at) {
		return (at.getEpochSecond() - PG_EPOCH_SECONDS) * 1_000_000 + at.getNano() / 1_000;
	}

	// The driver reports a failed COPY write as an IOException around the server's error:
	// unwrap it, so a unique violation is seen as one.
	private static SQLException asSqlException(IOException ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof SQLException sql) {
				return sql;
			}
		}
		return new SQLException("could not write the log lines: " + ex.getMessage(), ex);
	}

}
