package hosting.aegir.backend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import org.springframework.modulith.core.ApplicationModule;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The feature packages are application modules: each reaches another only through what
 * that one offers (its top-level package or a named interface), and no two depend on each
 * other in a cycle. The diagrams in {@code docs/modules/} are written from the same
 * model, so they cannot drift.
 */
class ModularityTest {

	static final ApplicationModules modules = ApplicationModules.of(AegirBackendApplication.class);

	@Test
	void modulesOnlyUseEachOthersPublishedTypesAndHaveNoCycles() {
		modules.verify();
	}

	// Adding an engine is one folder under engine/: it brings its catalog part
	// through the SPIs of catalog/, which knows no engine, and it needs no
	// other engine's folder.
	@Test
	void theCatalogKnowsNoEngineAndNoEngineKnowsAnother() {
		assertThat(modules.getModuleByName("catalog")
			.orElseThrow()
			.getDirectDependencies(modules)
			.uniqueModules()
			.map(ApplicationModule::getDisplayName)).isEmpty();
		slices().matching("hosting.aegir.backend.engine.(*)..")
			.should()
			.notDependOnEachOther()
			.check(new ClassFileImporter().withImportOption(new ImportOption.DoNotIncludeTests())
				.importPackages("hosting.aegir.backend.engine"));
	}

	@Test
	void writesTheModuleDiagrams() throws IOException {
		Path generated = Path.of("target/spring-modulith-docs");
		new Documenter(modules, Documenter.Options.defaults().withOutputFolder(generated.toString()))
			.writeModulesAsPlantUml()
			.writeIndividualModulesAsPlantUml();
		Path docs = Files.createDirectories(Path.of("docs/modules"));
		try (Stream<Path> diagrams = Files.list(generated)) {
			for (Path diagram : diagrams.filter(p -> p.toString().endsWith(".puml")).toList()) {
				Files.write(docs.resolve(diagram.getFileName()), sorted(Files.readAllLines(diagram)),
						StandardCharsets.UTF_8);
			}
		}
	}

	// The Documenter lists modules and relations in hash order: sorted, the committed
	// files only
	// change when the modules do.
	private static List<String> sorted(List<String> lines) {
		List<String> result = new ArrayList<>();
		List<String> run = new ArrayList<>();
		String kind = null;
		for (String line : lines) {
			String lineKind = line.trim().startsWith("Rel(") ? "Rel"
					: line.trim().startsWith("Component(") ? "Component" : null;
			if (lineKind == null || !lineKind.equals(kind)) {
				run.sort(null);
				result.addAll(run);
				run.clear();
			}
			kind = lineKind;
			(lineKind == null ? result : run).add(line);
		}
		run.sort(null);
		result.addAll(run);
		return result;
	}

}
