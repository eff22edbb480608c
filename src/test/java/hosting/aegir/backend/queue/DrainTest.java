package hosting.aegir.backend.queue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import hosting.aegir.backend.operation.OperationStore;
import hosting.aegir.backend.support.EngineObservations;
import hosting.aegir.backend.support.Replica;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 10,000 queued operations drained by two replicas: each succeeds exactly once, and the
 * replicas hold no more threads, file descriptors or temporary directories afterwards
 * than before.
 */
class DrainTest {

	private static final int OPERATIONS = 10_000;

	// The replicas' own work directory: /tmp is shared with whatever else runs on the
	// machine.
	@TempDir
	Path work;

	@Test
	void twoReplicasDrainTenThousandOperationsOnceEachWithoutLeaking() {
		String schema = TestDatabase.get().newSchema();
		EngineObservations engine = new EngineObservations();
		String workDirectory = "aegir.ansible.work-directory=" + work;
		try (ConfigurableApplicationContext a = Replica.start(schema, engine, "aegir.executor.replica-id=drain-a",
				workDirectory);
				ConfigurableApplicationContext b = Replica.start(schema, engine, "aegir.executor.replica-id=drain-b",
						workDirectory)) {
			JdbcClient jdbc = a.getBean(JdbcClient.class);
			// Warm up: pools filled, threads started, classes loaded; then take the
			// baseline.
			enqueue(jdbc, "warm", 200);
			awaitDrained(jdbc, 200, Duration.ofSeconds(60));
			Resources before = Resources.now(work);

			long start = System.nanoTime();
			enqueue(jdbc, "drain", OPERATIONS);
			// A bound on liveness, not a speed target (the benchmarks measure speed): the
			// same code drains at 50 to 100 operations a second depending on the machine.
			awaitDrained(jdbc, 200 + OPERATIONS, Duration.ofMinutes(10));
			double seconds = (System.nanoTime() - start) / 1e9;

			assertThat(jdbc.sql("SELECT count(*) FROM operation WHERE status = 'SUCCEEDED' AND attempt = 1")
				.query(Long.class)
				.single()).isEqualTo(200 + OPERATIONS);
			assertThat(engine.allRuns()).hasSize(200 + OPERATIONS)
				.allSatisfy((id, runs) -> assertThat(runs.get()).as("runs of " + id).isEqualTo(1));
			assertThat(engine.maxActivePerKey()).isEqualTo(1);
			assertThat(jdbc.sql("SELECT DISTINCT claimed_by FROM operation").query(String.class).list())
				.containsExactlyInAnyOrder("drain-a", "drain-b");

			// Runs' own threads end just after their result is stored: give them a
			// moment, then compare.
			await("threads back to the baseline").atMost(Duration.ofSeconds(30))
				.until(() -> Resources.now(work).threads() <= before.threads() + 4);
			Resources after = Resources.now(work);
			System.out.printf("drained %d operations with two replicas in %.1f s (%.0f/s); before: %s; after: %s%n",
					OPERATIONS, seconds, OPERATIONS / seconds, before, after);
			assertThat(after.threads()).isLessThanOrEqualTo(before.threads() + 4);
			assertThat(after.fileDescriptors()).isLessThanOrEqualTo(before.fileDescriptors() + 8);
			assertThat(after.temporaryDirectories()).isLessThanOrEqualTo(before.temporaryDirectories());
		}
	}

	// Inserted as the API would leave them, in one statement, oldest first; 500 targets
	// of 20 each.
	private static void enqueue(JdbcClient jdbc, String prefix, int count) {
		jdbc.sql(
				"""
						INSERT INTO operation (id, type, engine, target, hosts, vars, tasks, status, request_hash, timeout_seconds, created_at)
						SELECT gen_random_uuid(), 'test.drain', 'ansible', :prefix || '-' || (g % 500), 'localhost',
						       jsonb_build_object('key', :prefix || '-' || (g % 500)), '[{"name": "aegir.Scripted", "vars": {}}]',
						       'QUEUED', repeat('0', 64), 60, clock_timestamp()
						  FROM generate_series(1, :count) g
						""")
			.param("prefix", prefix)
			.param("count", count)
			.update();
		jdbc.sql("SELECT pg_notify('" + OperationStore.QUEUED_CHANNEL + "', 'ansible')").query().listOfRows();
	}

	private static void awaitDrained(JdbcClient jdbc, int total, Duration atMost) {
		await("all " + total + " succeeded").atMost(atMost)
			.pollInterval(Duration.ofMillis(500))
			.until(() -> jdbc.sql("SELECT count(*) FROM operation WHERE status = 'SUCCEEDED'")
				.query(Long.class)
				.single() == total);
	}

	/**
	 * What a leak would grow: live threads, open file descriptors, entries in the
	 * replicas' work directory.
	 */
	record Resources(int threads, long fileDescriptors, long temporaryDirectories) {

		static Resources now(Path work) {
			return new Resources(ManagementFactory.getThreadMXBean().getThreadCount(),
					count(Path.of("/proc/self/fd"), ""), count(work, ""));
		}

		private static long count(Path dir, String prefix) {
			try (Stream<Path> entries = Files.list(dir)) {
				return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

}
