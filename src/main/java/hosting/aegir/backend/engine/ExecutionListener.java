package hosting.aegir.backend.engine;

import java.util.Map;

/** Receives what a run produces, as it produces it. Implementations are thread-safe. */
public interface ExecutionListener {

	void log(LogStream stream, String line);

	void event(EngineEvent event);

	/** Data the run returns; called again, the maps are merged, later keys winning. */
	void outputs(Map<String, Object> outputs);

	/** Where a log line came from. */
	enum LogStream {

		STDOUT, STDERR, SYSTEM;

		public String column() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}

	}

}
