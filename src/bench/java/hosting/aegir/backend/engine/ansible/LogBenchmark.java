package hosting.aegir.backend.engine.ansible;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;
import hosting.aegir.backend.AegirBackendApplication;
import hosting.aegir.backend.bench.Bench;
import hosting.aegir.backend.bench.Bench.Side;
import hosting.aegir.backend.bench.Bench.Target;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.FileSystemUtils;

import static org.awaitility.Awaitility.await;

/**
 * The log path: one run printing {@value #LINES} lines through the real Ansible engine (pipe →
 * masking → batches → PostgreSQL, fenced by the lease), against the same {@code ansible-playbook}
 * with its output to {@code /dev/null}; and the service JVM's heap during runs of 20,000 and
 * 200,000 lines, which must stay flat (the log streams through, it is never held).
 * <p>
 * The lines come from a bench-only role ({@code aegir.BenchLines}: a {@code debug} of a list, which
 * the default callback prints one element a line) beside the real roles, with a {@code no_log}
 * variable so masking runs on every line as it does for a real install.
 */
class LogBenchmark {

	private static final int LINES = 200_000;

	private static final int FEW_LINES = 20_000;

	private static final String SECRET = "bench-secret-7f3a9c";

	@Test
	void aLongLogThroughTheServiceAgainstAnsiblePlaybookToDevNull() throws Exception {
		Path ansible = ansibleDirectory();
		TestDatabase db = TestDatabase.get();
		Bench bench = new Bench("log");
		HeapWatch heap = new HeapWatch();
		try (ConfigurableApplicationContext service = new SpringApplicationBuilder(AegirBackendApplication.class).profiles("test")
			.run("--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
					"--spring.datasource.password=" + db.password(), "--aegir.database.schema=" + db.newSchema(),
					"--server.port=0", "--aegir.ansible.enabled=true", "--aegir.ansible.directory=" + ansible,
					"--aegir.executor.concurrency=1", "--logging.level.root=warn")) {
			AnsibleProperties properties = service.getBean(AnsibleProperties.class);
			JdbcClient jdbc = service.getBean(JdbcClient.class);
			ApiClient api = new ApiClient(((WebServerApplicationContext) service).getWebServer().getPort());
			heap.start();
			try {
				bench.compare(String.format("%,d lines", FEW_LINES), 1, 3,
						Side.of(String.format("ansible-playbook > /dev/null, %,d lines", FEW_LINES), "s",
								() -> direct(properties, FEW_LINES)),
						Side.of(String.format("through the service, %,d lines", FEW_LINES), "s",
								() -> viaService(api, jdbc, heap, FEW_LINES, bench, "20k")));
				bench.compare(String.format("%,d lines", LINES), 0, 3,
						Side.of(String.format("ansible-playbook > /dev/null, %,d lines", LINES), "s",
								() -> direct(properties, LINES)),
						Side.of(String.format("through the service, %,d lines", LINES), "s",
								() -> viaService(api, jdbc, heap, LINES, bench, "200k")));
			}
			finally {
				heap.stop();
			}
			bench.ratio(String.format("service / ansible-playbook, %,d lines", FEW_LINES),
					String.format("through the service, %,d lines", FEW_LINES),
					String.format("ansible-playbook > /dev/null, %,d lines", FEW_LINES), Target.none());
			bench.ratio(String.format("service / ansible-playbook, %,d lines", LINES),
					String.format("through the service, %,d lines", LINES),
					String.format("ansible-playbook > /dev/null, %,d lines", LINES), Target.atMost(1.2));
			bench.record("peak heap after GC, 20k-line runs", "MiB", heap.values("20k"));
			bench.record("peak heap after GC, 200k-line runs", "MiB", heap.values("200k"));
			bench.record("peak heap used (sampled), 20k-line runs", "MiB", heap.sampledValues("20k"));
			bench.record("peak heap used (sampled), 200k-line runs", "MiB", heap.sampledValues("200k"));
			bench.ratio("peak heap after GC, 200k / 20k", "peak heap after GC, 200k-line runs",
					"peak heap after GC, 20k-line runs", Target.atMost(1.25));
			bench.note("service: POST → SUCCEEDED by the database's clock (created_at → finished_at), every line stored;"
					+ " direct: the same playbook, vars, ansible.cfg and environment, stdout and stderr to /dev/null");
			bench.note("heap: the service JVM (this one); 'after GC' is the largest heap left after any collection during"
					+ " the run (what the run keeps), 'sampled' the largest used heap seen every 5 ms (garbage included)");
			bench.note("JVM max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB, GC "
					+ ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList());
			bench.finish();
		}
		finally {
			FileSystemUtils.deleteRecursively(ansible);
		}
	}

	private static Map<String, Object> vars(int lines) {
		return Map.of("lines", lines, "bench_password", SECRET);
	}

	private static double viaService(ApiClient api, JdbcClient jdbc, HeapWatch heap, int lines, Bench bench, String key) {
		Map<String, Object> body = Map.of("type", "bench.log", "engine", "ansible", "target", "bench-" + UUID.randomUUID(),
				"hosts", "localhost", "vars", Map.of(), "tasks", List.of(Map.of("name", "aegir.BenchLines", "vars", vars(lines))),
				"timeoutSeconds", 600);
		System.gc();
		heap.begin();
		var response = api.post("/api/v1/operations", ApiClient.SUBMITTER, api.write(body));
		if (response.statusCode() != 202) {
			throw new AssertionError("submit: " + response.statusCode() + " " + response.body());
		}
		UUID id = UUID.fromString(api.json(response).get("id").asString());
		// Poll gently: the benchmark's own queries must not compete with the run for the CPU.
		await("the run finished").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(20)).until(() -> sleep(50) && jdbc
			.sql("SELECT status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT') FROM operation WHERE id = :id")
			.param("id", id).query(Boolean.class).single());
		heap.end(key);
		String status = jdbc.sql("SELECT status FROM operation WHERE id = :id").param("id", id).query(String.class).single();
		long stored = jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = :id").param("id", id)
			.query(Long.class).single();
		long leaked = jdbc.sql("SELECT count(*) FROM operation_log WHERE operation_id = :id AND strpos(text, :secret) > 0")
			.param("id", id).param("secret", SECRET).query(Long.class).single();
		if (!"SUCCEEDED".equals(status) || stored < lines || leaked > 0) {
			throw new AssertionError("run " + id + ": " + status + ", " + stored + " lines stored, " + leaked + " unmasked");
		}
		return jdbc.sql("SELECT extract(epoch FROM finished_at - created_at) FROM operation WHERE id = :id").param("id", id)
			.query(Double.class).single();
	}

	// The playbook and vars file the engine writes, its ansible.cfg and environment; output discarded.
	private static double direct(AnsibleProperties ansible, int lines) throws Exception {
		Path dir = Files.createTempDirectory("aegir-bench-log-");
		try {
			new AnsiblePlaybookWriter().write(dir, new EngineRequest(UUID.randomUUID(), 1, "localhost", Map.of(),
					List.of(new EngineTask(0, "aegir.BenchLines", vars(lines), null)), Duration.ofMinutes(10)));
			ProcessBuilder builder = new ProcessBuilder("ansible-playbook", "-i", ansible.inventory().toAbsolutePath().toString(),
					dir.resolve("playbook.yml").toString()).directory(dir.toFile())
				.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
			builder.environment().put("ANSIBLE_CONFIG", ansible.config().toString());
			builder.environment().put("ANSIBLE_LOCAL_TEMP", dir.resolve(".ansible-tmp").toString());
			builder.environment().put("ANSIBLE_NOCOLOR", "1");
			builder.environment().put("PYTHONUNBUFFERED", "1");
			builder.environment().put("AEGIR_EVENT_TOKEN", "bench");
			long start = System.nanoTime();
			int exit = builder.start().waitFor();
			double seconds = (System.nanoTime() - start) / 1e9;
			if (exit != 0) {
				throw new AssertionError("ansible-playbook exited with " + exit);
			}
			return seconds;
		}
		finally {
			FileSystemUtils.deleteRecursively(dir);
		}
	}

	// ansible/ as it is, with one more role beside the real ones: aegir.BenchLines.
	private static Path ansibleDirectory() throws Exception {
		Path real = Path.of("ansible").toAbsolutePath();
		Path dir = Files.createTempDirectory("aegir-bench-ansible-");
		Files.copy(real.resolve("ansible.cfg"), dir.resolve("ansible.cfg"));
		Files.createSymbolicLink(dir.resolve("callback_plugins"), real.resolve("callback_plugins"));
		Files.createSymbolicLink(dir.resolve("inventory"), real.resolve("inventory"));
		Path roles = Files.createDirectory(dir.resolve("roles"));
		try (var existing = Files.list(real.resolve("roles"))) {
			for (Path role : existing.toList()) {
				Files.createSymbolicLink(roles.resolve(role.getFileName()), role);
			}
		}
		Path role = roles.resolve("aegir.BenchLines");
		Files.createDirectories(role.resolve("tasks"));
		Files.createDirectories(role.resolve("meta"));
		// debug prints a list one element a line; every line carries the secret, which the service masks. Built
		// with string operations, not a filter per line, so ansible-playbook spends its time printing.
		Files.writeString(role.resolve("tasks/main.yml"), """
				---
				- name: Print many lines
				  ansible.builtin.debug:
				    msg: "{{ (('bench output line, quoting ' ~ bench_password ~ ' once|') * lines).split('|')[:lines] }}"
				""");
		Files.writeString(role.resolve("meta/main.yml"), """
				---
				galaxy_info:
				  role_name: aegir.BenchLines
				  namespace: aegir
				  author: Aegir hosting system
				  description: Benchmark role that prints many lines
				  license: GPL-2.0-or-later
				  min_ansible_version: "2.14"
				dependencies: []
				""");
		Files.writeString(role.resolve("meta/argument_specs.yml"), """
				---
				argument_specs:
				  main:
				    short_description: Benchmark role that prints many lines
				    description:
				      - Prints the given number of lines, each quoting a secret.
				    options:
				      lines:
				        type: int
				        required: true
				        description: How many lines to print.
				      bench_password:
				        type: str
				        required: true
				        no_log: true
				        description: A secret every line quotes.
				""");
		return dir;
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

	/**
	 * The largest heap left after any collection (GC notifications) and the largest used heap
	 * sampled every 5 ms, between {@link #begin()} and {@link #end(String)}.
	 */
	private static final class HeapWatch {

		private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

		private final java.util.Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
			.filter(p -> p.getType() == java.lang.management.MemoryType.HEAP).map(p -> p.getName())
			.collect(java.util.stream.Collectors.toSet());

		private final AtomicLong afterGc = new AtomicLong();

		private final AtomicLong sampled = new AtomicLong();

		private final Map<String, List<Double>> afterGcRuns = new java.util.HashMap<>();

		private final Map<String, List<Double>> sampledRuns = new java.util.HashMap<>();

		private final List<NotificationEmitter> emitters = new ArrayList<>();

		private final NotificationListener listener = (notification, handback) -> {
			if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
				var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
				// Heap pools only: the map also holds Metaspace and the code cache.
				long used = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
					.filter(e -> heapPools.contains(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum();
				afterGc.accumulateAndGet(used, Math::max);
			}
		};

		private volatile boolean watching;

		private Thread sampler;

		void start() {
			for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
				if (gc instanceof NotificationEmitter emitter) {
					emitter.addNotificationListener(listener, null, null);
					emitters.add(emitter);
				}
			}
			watching = true;
			sampler = new Thread(() -> {
				while (watching) {
					sampled.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
					sleep(5);
				}
			}, "bench-heap-sampler");
			sampler.setDaemon(true);
			sampler.start();
		}

		// Called right after System.gc(): what is left now is the floor a run starts from.
		void begin() {
			long now = memory.getHeapMemoryUsage().getUsed();
			afterGc.set(now);
			sampled.set(now);
		}

		void end(String key) {
			// Warm-up rounds are recorded too and dropped: keep the last three.
			afterGcRuns.computeIfAbsent(key, k -> new ArrayList<>()).add(afterGc.get() / (1024.0 * 1024));
			sampledRuns.computeIfAbsent(key, k -> new ArrayList<>()).add(sampled.get() / (1024.0 * 1024));
		}

		double[] values(String key) {
			return last3(afterGcRuns.get(key));
		}

		double[] sampledValues(String key) {
			return last3(sampledRuns.get(key));
		}

		private static double[] last3(List<Double> all) {
			return all.subList(Math.max(0, all.size() - 3), all.size()).stream().mapToDouble(Double::doubleValue).toArray();
		}

		void stop() {
			watching = false;
			for (NotificationEmitter emitter : emitters) {
				try {
					emitter.removeNotificationListener(listener);
				}
				catch (javax.management.ListenerNotFoundException ex) {
					// already gone
				}
			}
		}

	}

}
