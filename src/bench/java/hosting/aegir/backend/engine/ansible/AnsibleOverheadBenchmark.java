package hosting.aegir.backend.engine.ansible;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.operation.OperationService;
import hosting.aegir.backend.operation.SubmitOperationRequest;
import hosting.aegir.backend.operation.SubmitOperationRequest.TaskRequest;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.FileSystemUtils;

import static org.awaitility.Awaitility.await;

/**
 * What the service adds to Ansible: 40 no-op operations (aegir.RunDrupalCron with drush=/bin/true)
 * through the service at concurrency 2, against the same 40 playbooks run directly with
 * ansible-playbook, two at a time. Rounds alternate, in one run.
 */
class AnsibleOverheadBenchmark {

	private static final int OPERATIONS = 40;

	@Test
	void serviceAgainstDirectAnsiblePlaybook() throws Exception {
		TestDatabase db = TestDatabase.get();
		try (ConfigurableApplicationContext service = new SpringApplicationBuilder(AegirBackendApplication.class).profiles("test")
			.run("--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
					"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + db.newSchema(),
					"--server.port=0", "--aegir.ansible.enabled=true", "--aegir.executor.concurrency=2",
					"--logging.level.root=warn")) {
			AnsibleProperties ansible = service.getBean(AnsibleProperties.class);
			viaService(service, 4);
			direct(ansible, 4);
			List<double[]> rounds = new ArrayList<>();
			// Alternate which side goes first, so neither gains from the machine warming up or cooling down.
			for (int round = 0; round < 4; round++) {
				double direct;
				double viaService;
				if (round % 2 == 0) {
					direct = direct(ansible, OPERATIONS);
					viaService = viaService(service, OPERATIONS);
				}
				else {
					viaService = viaService(service, OPERATIONS);
					direct = direct(ansible, OPERATIONS);
				}
				rounds.add(new double[] { direct, viaService });
			}
			System.out.println();
			System.out.println("== " + OPERATIONS + " no-op Ansible operations, concurrency 2 ==");
			double direct = 0;
			double viaService = 0;
			for (int i = 0; i < rounds.size(); i++) {
				System.out.printf("round %d: ansible-playbook directly %.2f s, through the service %.2f s, ratio %.3f%n", i + 1,
						rounds.get(i)[0], rounds.get(i)[1], rounds.get(i)[1] / rounds.get(i)[0]);
				direct += rounds.get(i)[0];
				viaService += rounds.get(i)[1];
			}
			double[] ratios = rounds.stream().mapToDouble(r -> r[1] / r[0]).sorted().toArray();
			double median = (ratios[(ratios.length - 1) / 2] + ratios[ratios.length / 2]) / 2;
			System.out.printf("ratio service/direct over all rounds: %.3f, median of rounds %.3f (target: at most 1.05)%n",
					viaService / direct, median);
		}
	}

	private static double viaService(ConfigurableApplicationContext context, int count) {
		OperationService operations = context.getBean(OperationService.class);
		JdbcClient jdbc = context.getBean(JdbcClient.class);
		long start = System.nanoTime();
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			ids.add(operations.submit(new SubmitOperationRequest("bench.noop", "ansible", "bench-" + UUID.randomUUID(), "localhost",
					Map.of("site_uri", "example.org", "site_root", "/srv/d10"),
					List.of(new TaskRequest("aegir.RunDrupalCron", Map.of("drush", "/bin/true"), null)), 300, null, null), null)
				.operation().id());
		}
		// Poll gently: the benchmark's own queries must not compete with the runs for the CPU.
		await("all finished").atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> sleep(100) && jdbc
			.sql("SELECT count(*) FROM operation WHERE id IN (:ids) AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')")
			.param("ids", ids).query(Long.class).single() == count);
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("  service: %d runs, mean run (started → finished) %.0f ms%n", count, jdbc
			.sql("SELECT avg(extract(epoch FROM finished_at - started_at)) * 1000 FROM operation WHERE id IN (:ids)")
			.param("ids", ids).query(Double.class).single());
		long failed = jdbc.sql("SELECT count(*) FROM operation WHERE id IN (:ids) AND status <> 'SUCCEEDED'").param("ids", ids)
			.query(Long.class).single();
		if (failed > 0) {
			throw new AssertionError(failed + " benchmark operations did not succeed");
		}
		return seconds;
	}

	private static boolean sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return true;
	}

	// The same playbook and vars files the engine writes, the same callback, two processes at a time.
	private static double direct(AnsibleProperties ansible, int count) throws Exception {
		AnsiblePlaybookWriter writer = new AnsiblePlaybookWriter();
		List<Path> dirs = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			Path dir = Files.createTempDirectory("aegir-bench-");
			writer.write(dir, new EngineRequest(UUID.randomUUID(), 1, "localhost", Map.of("site_uri", "example.org", "site_root", "/srv/d10"),
					List.of(new EngineTask(0, "aegir.RunDrupalCron", Map.of("drush", "/bin/true"), null)), Duration.ofMinutes(5)));
			dirs.add(dir);
		}
		ExecutorService pool = Executors.newFixedThreadPool(2);
		java.util.concurrent.atomic.AtomicLong runNanos = new java.util.concurrent.atomic.AtomicLong();
		long start = System.nanoTime();
		List<Future<Integer>> exits = new ArrayList<>();
		for (Path dir : dirs) {
			exits.add(pool.submit(() -> {
				ProcessBuilder builder = new ProcessBuilder("ansible-playbook", "-i", ansible.inventory().toAbsolutePath().toString(),
						dir.resolve("playbook.yml").toString()).directory(dir.toFile()).redirectErrorStream(true)
					.redirectOutput(dir.resolve("out.log").toFile());
				builder.environment().put("ANSIBLE_CONFIG", ansible.config().toString());
				builder.environment().put("AEGIR_EVENT_TOKEN", "bench");
				builder.environment().put("ANSIBLE_NOCOLOR", "1");
				long began = System.nanoTime();
				int exit = builder.start().waitFor();
				runNanos.addAndGet(System.nanoTime() - began);
				return exit;
			}));
		}
		for (Future<Integer> exit : exits) {
			if (exit.get() != 0) {
				throw new AssertionError("a direct ansible-playbook run failed");
			}
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("  direct: %d runs, mean run %.0f ms%n", count, runNanos.get() / 1e6 / count);
		pool.shutdown();
		for (Path dir : dirs) {
			FileSystemUtils.deleteRecursively(dir);
		}
		return seconds;
	}

}
