package hosting.aegir.backend.backup;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.OperationFinished;
import hosting.aegir.backend.operation.OperationStatus;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.data.jpa.test.autoconfigure.DataJpaTest;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the backup index takes from a finished operation's report, on real PostgreSQL.
 */
@DataJpaTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@PostgresTest
@Import(BackupIndex.class)
@Transactional(propagation = Propagation.NOT_SUPPORTED)
class BackupIndexTest {

	private static final String SHA = "a".repeat(64);

	@Autowired
	BackupIndex index;

	@Autowired
	JdbcClient jdbc;

	@Test
	void aFailedOperationsMeasuredBackupIsIndexed() {
		String target = "site-" + UUID.randomUUID();
		index.record(finished(target, OperationStatus.FAILED, false,
				Map.of("backup_path", "/var/aegir/backups/a.tar.gz", "backup_sha256", SHA)));
		assertThat(index.of(target, 10)).extracting(Backup::path).containsExactly("/var/aegir/backups/a.tar.gz");
	}

	@Test
	void aDryRunIndexesNothingAndMarksNothingDeleted() {
		String target = "site-" + UUID.randomUUID();
		index.record(finished(target, OperationStatus.SUCCEEDED, false,
				Map.of("backup_path", "/var/aegir/backups/b.tar.gz", "backup_sha256", SHA)));
		index.record(
				finished(target, OperationStatus.SUCCEEDED, true, Map.of("backup_path", "/var/aegir/backups/c.tar.gz",
						"backup_sha256", SHA, "deleted_backups", List.of("/var/aegir/backups/b.tar.gz"))));
		assertThat(index.of(target, 10)).singleElement().satisfies(backup -> {
			assertThat(backup.path()).isEqualTo("/var/aegir/backups/b.tar.gz");
			assertThat(backup.deletedAt()).isNull();
		});
	}

	@Test
	void onlyAPlainAbsolutePathIsABackupAndAFailedReportNeedsItsChecksum() {
		String target = "site-" + UUID.randomUUID();
		index.record(finished(target, OperationStatus.SUCCEEDED, false, Map.of("backup_path", "relative.tar.gz")));
		index.record(finished(target, OperationStatus.SUCCEEDED, false,
				Map.of("backup_path", "/var/aegir/backups/../../etc/shadow")));
		index.record(finished(target, OperationStatus.SUCCEEDED, false, Map.of("backup_path", "/backups/x\n.tar.gz")));
		index.record(
				finished(target, OperationStatus.FAILED, false, Map.of("backup_path", "/backups/unmeasured.tar.gz")));
		assertThat(index.of(target, 10)).isEmpty();
		// A successful engine may report just the path (the kubernetes backup does).
		index.record(finished(target, OperationStatus.SUCCEEDED, false, Map.of("backup_path", "/backups/k.tar.gz")));
		assertThat(index.of(target, 10)).extracting(Backup::path).containsExactly("/backups/k.tar.gz");
	}

	private OperationFinished finished(String target, OperationStatus status, boolean check,
			Map<String, Object> outputs) {
		UUID id = UUID.randomUUID();
		jdbc.sql(
				"""
						INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds)
						VALUES (:id, 'site.backup', 'ansible', :target, 'localhost', '{}', '[]', :status, :hash, 60)
						""")
			.param("id", id)
			.param("target", target)
			.param("status", status.name())
			.param("hash", "0".repeat(64))
			.update();
		return new OperationFinished(id, "site.backup", target, status, outputs, check);
	}

}
