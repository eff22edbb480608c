package hosting.aegir.backend;

import org.junit.jupiter.api.Test;

import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * The feature packages are application modules: each reaches another only through what that one
 * offers (its top-level package or a named interface), and no two depend on each other in a cycle.
 * The diagram in {@code docs/modules/} is written from the same model, so it cannot drift.
 */
class ModularityTest {

	static final ApplicationModules modules = ApplicationModules.of(AegirBackendApplication.class);

	@Test
	void modulesOnlyUseEachOthersPublishedTypesAndHaveNoCycles() {
		modules.verify();
	}

	@Test
	void writesTheModuleDiagram() {
		new Documenter(modules, Documenter.Options.defaults().withOutputFolder("docs/modules"))
			.writeModulesAsPlantUml()
			.writeIndividualModulesAsPlantUml();
	}

}
