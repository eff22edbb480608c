package hosting.aegir.backend.operation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operation table on real PostgreSQL: the schema's guarantees, and every guarded
 * transition of the store run from every status, each move it makes checked against its
 * declaration ({@link OperationTransition}) and the lifecycle's table
 * ({@link OperationStatus}).
 */
@JdbcTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@PostgresTest
@Import(OperationStore.class)
@Transactional(propagation = Propagation.NOT_SUPPORTED)
class OperationStoreTest {

	private static final String REPLICA = "store-test";

	@Autowired
	OperationStore store;

	@Autowired
	JdbcClient jdbc;

	@Test
	void storesAndFindsByIdempotencyKey() {
		String key = "key-" + UUID.randomUUID();
		UUID id = queued("site-1", key);
		OperationStore.Stored found = store.findByIdempotencyKey(key).orElseThrow();
		assertThat(found.id()).isEqualTo(id);
		assertThat(found.status()).isEqualTo(OperationStatus.QUEUED);
		assertThat(found.createdAt()).isNotNull();
		assertThat(found.vars()).contains("\"site_uri\"");
		assertThat(store.status(id)).contains(OperationStatus.QUEUED);
		assertThat(store.status(UUID.randomUUID())).isEmpty();
	}

	@Test
	void anIdempotencyKeyIsUnique() {
		String key = "dup-" + UUID.randomUUID();
		queued("site-1", key);
		assertThatThrownBy(() -> queued("site-2", key)).isInstanceOf(DataIntegrityViolationException.class);
	}

	@Test
	void onlyOneOperationPerTargetCanBeActive() {
		String target = "site-" + UUID.randomUUID();
		UUID a = queued(target, null);
		UUID b = queued(target, null);
		assertThat(setStatus(a, "RUNNING")).isEqualTo(1);
		assertThatThrownBy(() -> setStatus(b, "RUNNING")).isInstanceOf(DataIntegrityViolationException.class);
		assertThatThrownBy(() -> setStatus(b, "CANCELLING")).isInstanceOf(DataIntegrityViolationException.class);
		setStatus(a, "SUCCEEDED");
		assertThat(setStatus(b, "RUNNING")).isEqualTo(1);
	}

	@Test
	void transitionsAreGuardedByTheExpectedStatus() {
		UUID running = queued("site-" + UUID.randomUUID(), null);
		setStatus(running, "RUNNING");
		assertThat(store.cancelQueued(running, "x")).isFalse();
		assertThat(status(running)).isEqualTo("RUNNING");

		UUID queued = queued("site-" + UUID.randomUUID(), null);
		assertThat(store.requestCancel(queued, "x")).isFalse();
		assertThat(store.cancelQueued(queued, "by test")).isTrue();
		assertThat(store.cancelQueued(queued, "again")).isFalse();
		assertThat(status(queued)).isEqualTo("CANCELLED");

		assertThat(store.requestCancel(running, "by test")).isTrue();
		assertThat(status(running)).isEqualTo("CANCELLING");
	}

	@Test
	void theDatabaseRefusesAnUnknownStatus() {
		UUID op = queued("site-" + UUID.randomUUID(), null);
		assertThatThrownBy(() -> setStatus(op, "PAUSED")).isInstanceOf(DataIntegrityViolationException.class);
	}

	@Test
	void theValidatorDoesNotDependOnSecretValues() {
		// A viewer gets the validator: were it an md5 over the stored secret values, a
		// viewer could test guesses of a password offline against it.
		UUID saved = queued("site-1", "key-" + UUID.randomUUID());
		String before = store.etag(saved, OperationStore.Variant.VIEWER).orElseThrow();
		jdbc.sql("""
				UPDATE operation SET vars = '{"site_uri": "example.org", "account_pass": "guess-me"}'::jsonb,
				       tasks = '[{"name": "aegir.RunDrupalCron", "vars": {"account_pass": "guess-me"}}]'::jsonb,
				       secret_vars = '["account_pass"]'::jsonb, request_hash = :hash
				 WHERE id = :id
				""").param("hash", "1".repeat(64)).param("id", saved).update();
		assertThat(store.etag(saved, OperationStore.Variant.VIEWER)).contains(before);
		jdbc.sql("UPDATE operation SET reason = 'changed' WHERE id = :id").param("id", saved).update();
		assertThat(store.etag(saved, OperationStore.Variant.VIEWER).orElseThrow()).isNotEqualTo(before);
	}

	/**
	 * Each guarded statement, from every status and in each situation that decides where
	 * it goes (a live or lost lease, a deadline passed or not, a retry left or not),
	 * makes only moves its transition declares, and so only moves the lifecycle allows;
	 * and between them they make every move the lifecycle allows.
	 */
	@Test
	void everyGuardedStatementMakesOnlyItsDeclaredMoves() {
		List<String> made = new ArrayList<>();
		for (OperationStatus from : OperationStatus.values()) {
			for (Situation situation : Situation.values()) {
				check(OperationTransition.CANCEL_QUEUED, from, situation, made,
						id -> store.cancelQueued(id, "by test"));
				check(OperationTransition.REQUEST_CANCEL, from, situation, made,
						id -> store.requestCancel(id, "by test"));
				check(OperationTransition.HAND_BACK, from, situation, made,
						id -> store.handBack(id, REPLICA, 1, "handed back by test"));
				for (OperationStatus result : OperationTransition.COMPLETE.to(OperationStatus.RUNNING)) {
					check(OperationTransition.COMPLETE, from, situation, made,
							id -> store.complete(id, REPLICA, 1, result, null, "by test", "{}"));
				}
				check(OperationTransition.REAP, from, situation, made,
						id -> store.reap(Duration.ofSeconds(60), Duration.ZERO));
				String engine = "st-" + UUID.randomUUID().toString().substring(0, 8);
				check(OperationTransition.CLAIM, from, situation, engine, made,
						id -> store.claim(REPLICA, List.of(engine), 1));
			}
		}
		List<String> allowed = new ArrayList<>();
		for (OperationStatus from : OperationStatus.values()) {
			from.allowedNext().forEach(to -> allowed.add(from + " -> " + to));
		}
		assertThat(made).as("the moves the statements made").containsAll(allowed);
	}

	/** What decides where a reap or a hand-back sends a run. */
	enum Situation {

		LIVE_LEASE("now()", "now()", false), LOST_LEASE("now() - interval '1 hour'", "now()", false),
		LOST_LEASE_WITH_RETRY("now() - interval '1 hour'", "now()", true),
		PAST_DEADLINE("now()", "now() - interval '1 hour'", false);

		final String heartbeatAt;

		final String startedAt;

		final boolean retry;

		Situation(String heartbeatAt, String startedAt, boolean retry) {
			this.heartbeatAt = heartbeatAt;
			this.startedAt = startedAt;
			this.retry = retry;
		}

	}

	private void check(OperationTransition transition, OperationStatus from, Situation situation, List<String> made,
			java.util.function.Consumer<UUID> statement) {
		check(transition, from, situation, "ansible", made, statement);
	}

	private void check(OperationTransition transition, OperationStatus from, Situation situation, String engine,
			List<String> made, java.util.function.Consumer<UUID> statement) {
		UUID id = inStatus(from, situation, engine);
		statement.accept(id);
		OperationStatus after = OperationStatus.valueOf(status(id));
		if (after != from) {
			assertThat(transition.moves(from, after)).as("%s moved %s to %s (%s)", transition, from, after, situation)
				.isTrue();
			assertThat(from.mayBecome(after)).as("the lifecycle allows %s -> %s", from, after).isTrue();
			made.add(from + " -> " + after);
		}
		// Ends every row, so the reaper of a later check leaves it alone.
		jdbc.sql("UPDATE operation SET status = 'SUCCEEDED' WHERE id = ?").param(id).update();
	}

	// A row as an executor of this test would have left it in `status`, claimed by
	// REPLICA on its first attempt, with the situation's heartbeat and start.
	private UUID inStatus(OperationStatus status, Situation situation, String engine) {
		UUID id = UUID.randomUUID();
		NewOperation spec = new NewOperation("site.backup", engine, "site-" + UUID.randomUUID(), "localhost",
				Map.of("site_uri", "example.org"), List.of(new TaskSpec("aegir.RunDrupalCron", Map.of(), null)), 60,
				situation.retry, situation.retry ? 3 : 1, null, List.of());
		store.insertQueued(id, spec, "{\"site_uri\": \"example.org\"}",
				"[{\"name\": \"aegir.RunDrupalCron\", \"vars\": {}}]", "[]", "0".repeat(64));
		if (status != OperationStatus.QUEUED) {
			jdbc.sql("""
					UPDATE operation
					   SET status = :status, claimed_by = :replica, attempt = 1,
					       started_at = %s, heartbeat_at = %s,
					       finished_at = CASE WHEN :terminal THEN now() END
					 WHERE id = :id
					""".formatted(situation.startedAt, situation.heartbeatAt))
				.param("status", status.name())
				.param("replica", REPLICA)
				.param("terminal", status.isTerminal())
				.param("id", id)
				.update();
		}
		return id;
	}

	private UUID queued(String target, String key) {
		UUID id = UUID.randomUUID();
		NewOperation spec = new NewOperation("site.backup", "ansible", target, "localhost",
				Map.of("site_uri", "example.org"), List.of(new TaskSpec("aegir.RunDrupalCron", Map.of(), null)), 60,
				false, 1, key, List.of());
		store.insertQueued(id, spec, "{\"site_uri\": \"example.org\"}",
				"[{\"name\": \"aegir.RunDrupalCron\", \"vars\": {}}]", "[]", "0".repeat(64));
		return id;
	}

	private int setStatus(UUID id, String status) {
		return jdbc.sql("UPDATE operation SET status = ? WHERE id = ?").params(status, id).update();
	}

	private String status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

}
