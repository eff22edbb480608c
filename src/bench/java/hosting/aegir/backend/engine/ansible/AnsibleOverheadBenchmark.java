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
import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.OperatorInventory;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.FileSystemUtils;

import static org.awaitility.Awaitility.await;

/**
 * What the service adds to Ansible: 16 no-op operations (aegir.RunDrupalCron, a drush that does nothing)
 * through the service at concurrency 2, against the same 16 playbooks run directly with
 * ansible-playbook, two at a time. Rounds alternate, in one run (the {@link Bench} harness).
 */
class AnsibleOverheadBenchmark {

	private static final int OPERATIONS = 16;

	// drush and the platforms root are operator settings (no request may set them): an operator
	// inventory gives them, with a drush that does nothing, as the end-to-end tests do.
	private static final OperatorInventory OPERATOR = OperatorInventory.create().drush("exit 0\n");

	private static final Map<String, Object> SITE = Map.of("site_uri", "example.org", "site_root",
			OPERATOR.platforms() + "/d10/web");

	@Test
	void serviceAgainstDirectAnsiblePlaybook() throws Exception {
		TestDatabase db = TestDatabase.get();
		try (ConfigurableApplicationContext service = new SpringApplicationBuilder(AegirBackendApplication.class).profiles("test")
			.run("--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
					"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + db.newSchema(),
					"--server.port=0", "--aegir.ansible.enabled=true", "--aegir.executor.concurrency=2",
					"--aegir.ansible.inventory=" + OPERATOR.hostsFile(),
					"--logging.level.root=warn")) {
			AnsibleProperties ansible = service.getBean(AnsibleProperties.class);
			Bench bench = new Bench("engine-overhead");
			// Bench alternates which side goes first, so neither gains from the machine warming up or cooling down.
			bench.compare(OPERATIONS + " no-op runs", 1, 3,
					Side.of("ansible-playbook directly, 2 at a time", "s", () -> direct(ansible, OPERATIONS)),
					Side.of("through the service, concurrency 2", "s", () -> viaService(service, OPERATIONS)));
			bench.ratio("service / direct", "through the service, concurrency 2", "ansible-playbook directly, 2 at a time",
					Target.atMost(1.05));
			bench.note(OPERATIONS + " operations a round (aegir.RunDrupalCron, a drush that does nothing), from the first submit"
					+ " to the last end, against the same playbooks run directly with the same callback");
			bench.finish();
		}
	}

	private static double viaService(ConfigurableApplicationContext context, int count) {
		// Through HTTP, as a front-end submits (the request's fields may grow; the JSON keeps this independent of them).
		ApiClient api = new ApiClient(((WebServerApplicationContext) context).getWebServer().getPort());
		JdbcClient jdbc = context.getBean(JdbcClient.class);
		long start = System.nanoTime();
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			var response = api.post("/api/v1/operations", ApiClient.SUBMITTER, api.write(Map.of("type", "bench.noop", "engine",
					"ansible", "target", "bench-" + UUID.randomUUID(), "hosts", "localhost", "vars",
					SITE, "tasks", List.of(Map.of("name", "aegir.RunDrupalCron", "vars", Map.of())), "timeoutSeconds", 300)));
			if (response.statusCode() != 202) {
				throw new AssertionError("submit: " + response.statusCode() + " " + response.body());
			}
			ids.add(UUID.fromString(api.json(response).get("id").asString()));
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
			writer.write(dir, new EngineRequest(UUID.randomUUID(), 1, "localhost", SITE,
					List.of(new EngineTask(0, "aegir.RunDrupalCron", Map.of(), null)), Duration.ofMinutes(5)));
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
