package hosting.aegir.backend.support;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/** Registers the scripted test engine under the name {@code ansible}. */
@TestConfiguration(proxyBeanMethods = false)
public class ScriptedEngineConfig {

	@Bean
	EngineObservations engineObservations() {
		return new EngineObservations();
	}

	@Bean
	ScriptedEngine scriptedEngine(EngineObservations observations) {
		return new ScriptedEngine("ansible", observations);
	}

}
