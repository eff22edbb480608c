package hosting.aegir.backend.operation;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationRejectedException.Kind;
import hosting.aegir.backend.operation.OperationRejectedException.Violation;

import org.springframework.stereotype.Component;

/**
 * The operation list: summaries only (never vars or tasks, which may be large), newest
 * first, paged by keyset. A cursor is the (created_at, id) of the last row a page
 * returned; the next page is the rows below it, read through the indexes of V1/V3 that
 * end in (created_at DESC, id DESC). No OFFSET and no count(*): a page costs the same at
 * the millionth row as at the first.
 */
@Component
class OperationList {

	private final OperationStore store;

	OperationList(OperationStore store) {
		this.store = store;
	}

	OperationPage page(OperationStatus status, String target, String type, String after, int size) {
		Cursor cursor = after == null ? null : Cursor.parse(after);
		List<OperationSummary> rows = new ArrayList<>(store.summaries(status, target, type,
				cursor == null ? null : cursor.createdAt(), cursor == null ? null : cursor.id(), size + 1));
		String next = null;
		if (rows.size() > size) {
			rows.remove(size);
			OperationSummary last = rows.get(size - 1);
			next = new Cursor(last.createdAt(), last.id()).encode();
		}
		return new OperationPage(rows, next);
	}

	/**
	 * Where a page ended: opaque to clients (base64url of the microsecond timestamp and
	 * the id).
	 */
	record Cursor(OffsetDateTime createdAt, UUID id) {

		String encode() {
			long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt.toInstant());
			return Base64.getUrlEncoder()
				.withoutPadding()
				.encodeToString((micros + "_" + id).getBytes(StandardCharsets.US_ASCII));
		}

		static Cursor parse(String text) {
			try {
				String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII);
				int split = decoded.indexOf('_');
				long micros = Long.parseLong(decoded.substring(0, split));
				// Only times this service could have written: PostgreSQL refuses far ones
				// (a 500 otherwise).
				if (micros < 0
						|| micros > ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().plus(1, ChronoUnit.DAYS))) {
					throw new IllegalArgumentException("cursor time out of range");
				}
				Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
				return new Cursor(at.atOffset(ZoneOffset.UTC), UUID.fromString(decoded.substring(split + 1)));
			}
			catch (RuntimeException ex) {
				throw new OperationRejectedException(Kind.INVALID_INPUT,
						"after: not a cursor returned as 'next' by this list",
						List.of(new Violation("after", "not a cursor returned as 'next' by this list")));
			}
		}

	}

}
