package hosting.aegir.backend.support;

import hosting.aegir.backend.AegirBackendApplication;

import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * A service instance with the scripted engine, as its own process: the replica a test can
 * kill -9.
 */
public final class ReplicaMain {

	private ReplicaMain() {
	}

	public static void main(String[] args) {
		new SpringApplicationBuilder(AegirBackendApplication.class, ScriptedEngineConfig.class).profiles("test")
			.run(args);
	}

}
