package hosting.aegir.backend.support;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** Registers the scripted test engine under the name {@code ansible}. */
@TestConfiguration(proxyBeanMethods = false)
public class ScriptedEngineConfig {

	// Tests running several replicas in one JVM register one shared instance before this
	// runs.
	@Bean
	@ConditionalOnMissingBean
	EngineObservations engineObservations() {
		return new EngineObservations();
	}

	@Bean
	ScriptedEngine scriptedEngine(EngineObservations observations,
			@org.springframework.beans.factory.annotation.Value("${aegir.executor.replica-id:}") String replica) {
		return new ScriptedEngine("ansible", observations, replica.isEmpty() ? null : replica);
	}

}
