package hosting.aegir.backend.engine.ansible;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineResult;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.springframework.util.FileSystemUtils;

/**
 * Runs an operation as one {@code ansible-playbook} process: a private directory with the
 * generated playbook and vars, the configured inventory and {@code ansible/ansible.cfg};
 * output streamed into the log as it comes; the {@code aegir_events} callback's lines
 * turned into task events and outputs. The process runs in a process group of its own, so
 * a cancel ends every worker it forked.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class AnsibleEngine implements Engine {

	private static final Logger log = LoggerFactory.getLogger(AnsibleEngine.class);

	private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
	};

	private final AnsibleProperties properties;

	private final AnsiblePlaybookWriter writer;

	private final ProcessGroups processes;

	private final JsonMapper json;

	private final RunDirectories runDirectories;

	private final SecureRandom random = new SecureRandom();

	public AnsibleEngine(AnsibleProperties properties, AnsiblePlaybookWriter writer, ProcessGroups processes,
			JsonMapper json, RunDirectories runDirectories) {
		this.properties = properties;
		this.writer = writer;
		this.processes = processes;
		this.json = json;
		this.runDirectories = runDirectories;
	}

	@Override
	public String name() {
		return "ansible";
	}

	@Override
	public boolean dryRuns() {
		return true;
	}

	@Override
	public Execution start(EngineRequest request, ExecutionListener listener) {
		Path dir;
		Process process;
		byte[] secret = new byte[16];
		random.nextBytes(secret);
		String token = HexFormat.of().formatHex(secret);
		try {
			dir = Files.createTempDirectory(runDirectories.root(), "aegir-" + request.operationId() + "-",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
			Path playbook = writer.write(dir, request);
			List<String> command = new ArrayList<>(processes.ownGroupPrefix(properties.killGrace()));
			command.addAll(properties.playbookCommand());
			command.addAll(List.of("-i", properties.inventory().toAbsolutePath().toString()));
			// Fixed argument-list elements, never a shell: a dry run that shows its
			// diffs, and -v .. -vvvv.
			if (request.check()) {
				command.addAll(List.of("--check", "--diff"));
			}
			if (request.verbosity() > 0) {
				command.add("-" + "v".repeat(request.verbosity()));
			}
			command.add(playbook.toString());
			ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
			Map<String, String> env = builder.environment();
			env.put("ANSIBLE_CONFIG", properties.config().toString());
			env.put("ANSIBLE_LOCAL_TEMP", dir.resolve(".ansible-tmp").toString());
			env.put("ANSIBLE_NOCOLOR", "1");
			env.put("PYTHONUNBUFFERED", "1");
			env.put("AEGIR_EVENT_TOKEN", token);
			env.putAll(SshEnvironment.environment(properties));
			process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("could not start " + properties.playbookCommand() + ": " + ex.getMessage(),
					ex);
		}
		listener.log(LogStream.SYSTEM, "ansible-playbook started (pid " + process.pid() + ")");
		Run run = new Run(process, dir, token, listener);
		run.start();
		return run;
	}

	/** One ansible-playbook process and the threads that read it. */
	private final class Run implements Execution {

		private final Process process;

		private final Path dir;

		private final String marker;

		private final ExecutionListener listener;

		private final CompletableFuture<EngineResult> result = new CompletableFuture<>();

		private final AtomicReference<EngineEvent> lastFailure = new AtomicReference<>();

		private final AtomicReference<String> lastError = new AtomicReference<>();

		private volatile boolean cancelled;

		// The caller's logging context (the operation being run), carried into this run's
		// threads.
		private final Map<String, String> logContext = MDC.getCopyOfContextMap();

		Run(Process process, Path dir, String token, ExecutionListener listener) {
			this.process = process;
			this.dir = dir;
			this.marker = "\u001e" + token + " ";
			this.listener = listener;
		}

		void start() {
			Thread out = reader(process.getInputStream(), this::stdout, "out");
			Thread err = reader(process.getErrorStream(), line -> {
				if (!line.isBlank()) {
					lastError.set(line);
				}
				listener.log(LogStream.STDERR, line);
			}, "err");
			Thread waiter = new Thread(withLogContext(() -> {
				int exit;
				try {
					exit = process.waitFor();
					out.join();
					err.join();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					exit = -1;
				}
				// No sweep of the process group after a normal end: a playbook may have
				// started a daemon on
				// purpose. Only cancel and timeout end the group (see cancel()).
				removeDirectory();
				result.complete(new EngineResult(exit, exit == 0 ? null : failure(exit)));
			}), "ansible-wait-" + process.pid());
			waiter.setDaemon(true);
			waiter.start();
		}

		private Runnable withLogContext(Runnable action) {
			return () -> {
				if (logContext != null) {
					MDC.setContextMap(logContext);
				}
				try {
					action.run();
				}
				finally {
					MDC.clear();
				}
			};
		}

		private Thread reader(InputStream stream, java.util.function.Consumer<String> sink, String name) {
			Thread thread = new Thread(withLogContext(() -> {
				try (BufferedReader reader = new BufferedReader(
						new InputStreamReader(stream, StandardCharsets.UTF_8))) {
					String line;
					while ((line = reader.readLine()) != null) {
						sink.accept(line);
					}
				}
				catch (IOException ex) {
					// The process ended or was killed: nothing more to read.
				}
			}), "ansible-" + name + "-" + process.pid());
			thread.setDaemon(true);
			thread.start();
			return thread;
		}

		private void stdout(String line) {
			if (!line.startsWith(marker)) {
				listener.log(LogStream.STDOUT, line);
				return;
			}
			try {
				JsonNode node = json.readTree(line.substring(marker.length()));
				if ("outputs".equals(node.path("type").asString())) {
					listener.outputs(json.convertValue(node.path("data"), MAP));
					return;
				}
				EngineEvent event = new EngineEvent(
						node.path("task_index").isNumber() ? node.get("task_index").asInt() : null, text(node, "task"),
						text(node, "role"), text(node, "host"), text(node, "status"),
						node.path("changed").asBoolean(false),
						node.path("duration_ms").isNumber() ? node.get("duration_ms").asLong() : null,
						text(node, "message"));
				if ("failed".equals(event.status()) || "unreachable".equals(event.status())) {
					lastFailure.set(event);
				}
				listener.event(event);
			}
			catch (RuntimeException ex) {
				log.warn("Unreadable event line from the aegir_events callback: {}", ex.getMessage());
			}
		}

		private String failure(int exit) {
			if (cancelled) {
				return "cancelled";
			}
			EngineEvent failed = lastFailure.get();
			if (failed != null) {
				return "task '" + failed.task() + "'" + (failed.role() == null ? "" : " of " + failed.role()) + " "
						+ failed.status() + " on " + failed.host()
						+ (failed.message() == null ? "" : ": " + failed.message());
			}
			String error = lastError.get();
			return "ansible-playbook exited with code " + exit + (error == null ? "" : ": " + error);
		}

		private void removeDirectory() {
			try {
				FileSystemUtils.deleteRecursively(dir);
			}
			catch (IOException ex) {
				log.warn("Could not remove the run directory {}: {}", dir, ex.getMessage());
			}
		}

		@Override
		public CompletableFuture<EngineResult> result() {
			return result;
		}

		@Override
		public void cancel() {
			if (!process.isAlive() || cancelled) {
				return;
			}
			cancelled = true;
			listener.log(LogStream.SYSTEM, "stopping ansible-playbook and everything it started");
			processes.killGroup(process, properties.killGrace());
		}

	}

	private static String text(JsonNode node, String field) {
		JsonNode value = node.get(field);
		return value == null || value.isNull() ? null : value.asString();
	}

}
