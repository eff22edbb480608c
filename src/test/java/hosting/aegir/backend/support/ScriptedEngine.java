package hosting.aegir.backend.support;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import hosting.aegir.backend.engine.Engine;
import hosting.aegir.backend.engine.EngineEvent;
import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import hosting.aegir.backend.engine.EngineResult;
import hosting.aegir.backend.engine.Execution;
import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;

/**
 * A test engine that does what each task's vars (over the operation's) say:
 * {@code sleep_ms}, {@code first_attempt_sleep_ms}, {@code sleep_ms_on} (a map from
 * replica id to extra sleep on that replica), {@code lines} (log lines to write),
 * {@code fail} (end with exit 2), {@code outputs} (a map to return), {@code key} (the
 * serialisation key to check concurrency on). It records what it saw in
 * {@link EngineObservations}.
 */
public class ScriptedEngine implements Engine {

	private final String name;

	private final EngineObservations observations;

	private final String replica;

	public ScriptedEngine(String name, EngineObservations observations) {
		this(name, observations, null);
	}

	public ScriptedEngine(String name, EngineObservations observations, String replica) {
		this.name = name;
		this.observations = observations;
		this.replica = replica;
	}

	@Override
	public String name() {
		return name;
	}

	@Override
	public Execution start(EngineRequest request, ExecutionListener listener) {
		CompletableFuture<EngineResult> result = new CompletableFuture<>();
		AtomicBoolean cancelled = new AtomicBoolean();
		String key = String.valueOf(request.vars().getOrDefault("key", request.operationId()));
		Thread thread = new Thread(() -> {
			observations.started(request.operationId(), key);
			try {
				result.complete(run(request, listener, cancelled));
			}
			catch (RuntimeException ex) {
				result.completeExceptionally(ex);
			}
			finally {
				observations.ended(request.operationId(), key, cancelled.get());
			}
		}, "scripted-" + request.operationId());
		thread.setDaemon(true);
		thread.start();
		return new Execution() {
			@Override
			public CompletableFuture<EngineResult> result() {
				return result;
			}

			@Override
			public void cancel() {
				cancelled.set(true);
				thread.interrupt();
			}
		};
	}

	private EngineResult run(EngineRequest request, ExecutionListener listener, AtomicBoolean cancelled) {
		for (EngineTask task : request.tasks()) {
			Map<String, Object> vars = new HashMap<>(request.vars());
			vars.putAll(task.vars());
			int lines = ((Number) vars.getOrDefault("lines", 1)).intValue();
			for (int i = 1; i <= lines; i++) {
				listener.log(LogStream.STDOUT, "task " + task.index() + " line " + i);
			}
			long sleep = ((Number) vars.getOrDefault("sleep_ms", 0)).longValue();
			if (request.attempt() == 1) {
				sleep += ((Number) vars.getOrDefault("first_attempt_sleep_ms", 0)).longValue();
			}
			if (replica != null && vars.get("sleep_ms_on") instanceof Map<?, ?> perReplica
					&& perReplica.get(replica) instanceof Number extra) {
				sleep += extra.longValue();
			}
			if (sleep > 0) {
				try {
					Thread.sleep(sleep);
				}
				catch (InterruptedException ex) {
					listener.log(LogStream.STDERR, "interrupted");
					return new EngineResult(130, "cancelled");
				}
			}
			if (cancelled.get()) {
				return new EngineResult(130, "cancelled");
			}
			boolean fail = Boolean.TRUE.equals(vars.get("fail"));
			listener.event(new EngineEvent(task.index(), task.name(), task.name(), "localhost",
					fail ? "failed" : "changed", !fail, sleep, fail ? "scripted failure" : null));
			if (vars.get("outputs") instanceof Map<?, ?> outputs) {
				@SuppressWarnings("unchecked")
				Map<String, Object> data = (Map<String, Object>) outputs;
				listener.outputs(data);
			}
			if (fail) {
				return new EngineResult(2, "task '" + task.name() + "' failed on localhost: scripted failure");
			}
		}
		return EngineResult.success();
	}

}
