package hosting.aegir.backend.operation;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The data layer on real PostgreSQL: the schema's guarantees and the guarded transitions.
 */
@DataJpaTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@PostgresTest
@Import({ OperationStore.class, OperationRows.class })
@Transactional(propagation = Propagation.NOT_SUPPORTED)
class OperationRepositoryTest {

	@Autowired
	OperationRepository operations;

	@Autowired
	OperationStore transitions;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	OperationRows rows;

	@Test
	void storesAndFindsByIdempotencyKey() {
		Operation saved = operations.saveAndFlush(queued("site-1", "key-" + UUID.randomUUID()));
		Operation found = operations.findByIdempotencyKey(saved.getIdempotencyKey()).orElseThrow();
		assertThat(found.getId()).isEqualTo(saved.getId());
		assertThat(found.getStatus()).isEqualTo(OperationStatus.QUEUED);
		assertThat(found.getCreatedAt()).isNotNull();
		assertThat(found.getVars()).contains("\"site_uri\"");
	}

	@Test
	void anIdempotencyKeyIsUnique() {
		String key = "dup-" + UUID.randomUUID();
		operations.saveAndFlush(queued("site-1", key));
		assertThatThrownBy(() -> operations.saveAndFlush(queued("site-2", key)))
			.isInstanceOf(DataIntegrityViolationException.class);
	}

	@Test
	void onlyOneOperationPerTargetCanBeActive() {
		String target = "site-" + UUID.randomUUID();
		Operation a = operations.saveAndFlush(queued(target, null));
		Operation b = operations.saveAndFlush(queued(target, null));
		assertThat(setStatus(a.getId(), "RUNNING")).isEqualTo(1);
		assertThatThrownBy(() -> setStatus(b.getId(), "RUNNING")).isInstanceOf(DataIntegrityViolationException.class);
		assertThatThrownBy(() -> setStatus(b.getId(), "CANCELLING"))
			.isInstanceOf(DataIntegrityViolationException.class);
		setStatus(a.getId(), "SUCCEEDED");
		assertThat(setStatus(b.getId(), "RUNNING")).isEqualTo(1);
	}

	@Test
	void transitionsAreGuardedByTheExpectedStatus() {
		Operation running = operations.saveAndFlush(queued("site-" + UUID.randomUUID(), null));
		setStatus(running.getId(), "RUNNING");
		assertThat(transitions.cancelQueued(running.getId(), "x")).isFalse();
		assertThat(status(running.getId())).isEqualTo("RUNNING");

		Operation queued = operations.saveAndFlush(queued("site-" + UUID.randomUUID(), null));
		assertThat(transitions.requestCancel(queued.getId(), "x")).isFalse();
		assertThat(transitions.cancelQueued(queued.getId(), "by test")).isTrue();
		assertThat(transitions.cancelQueued(queued.getId(), "again")).isFalse();
		assertThat(status(queued.getId())).isEqualTo("CANCELLED");

		assertThat(transitions.requestCancel(running.getId(), "by test")).isTrue();
		assertThat(status(running.getId())).isEqualTo("CANCELLING");
	}

	@Test
	void theDatabaseRefusesAnUnknownStatus() {
		Operation op = operations.saveAndFlush(queued("site-" + UUID.randomUUID(), null));
		assertThatThrownBy(() -> setStatus(op.getId(), "PAUSED")).isInstanceOf(DataIntegrityViolationException.class);
	}

	private int setStatus(UUID id, String status) {
		return jdbc.sql("UPDATE operation SET status = ? WHERE id = ?").params(status, id).update();
	}

	private String status(UUID id) {
		return jdbc.sql("SELECT status FROM operation WHERE id = ?").param(id).query(String.class).single();
	}

	@Test
	void theValidatorDoesNotDependOnSecretValues() {
		// A viewer gets the validator: were it an md5 over the stored secret values, a
		// viewer
		// could test guesses of a password offline against it.
		Operation saved = operations.saveAndFlush(queued("site-1", "key-" + UUID.randomUUID()));
		String before = rows.etag(saved.getId(), OperationRows.Variant.VIEWER).orElseThrow();
		jdbc.sql("""
				UPDATE operation SET vars = '{"site_uri": "example.org", "account_pass": "guess-me"}'::jsonb,
				       tasks = '[{"name": "aegir.RunDrupalCron", "vars": {"account_pass": "guess-me"}}]'::jsonb,
				       secret_vars = '["account_pass"]'::jsonb, request_hash = :hash
				 WHERE id = :id
				""").param("hash", "1".repeat(64)).param("id", saved.getId()).update();
		assertThat(rows.etag(saved.getId(), OperationRows.Variant.VIEWER)).contains(before);
		jdbc.sql("UPDATE operation SET reason = 'changed' WHERE id = :id").param("id", saved.getId()).update();
		assertThat(rows.etag(saved.getId(), OperationRows.Variant.VIEWER).orElseThrow()).isNotEqualTo(before);
	}

	private static Operation queued(String target, String key) {
		NewOperation spec = new NewOperation("site.backup", "ansible", target, "localhost",
				Map.of("site_uri", "example.org"), List.of(new TaskSpec("aegir.RunDrupalCron", Map.of(), null)), 60,
				false, 1, key, List.of());
		return Operation.queued(UUID.randomUUID(), spec, "{\"site_uri\": \"example.org\"}",
				"[{\"name\": \"aegir.RunDrupalCron\", \"vars\": {}}]", "[]", "0".repeat(64));
	}

}
