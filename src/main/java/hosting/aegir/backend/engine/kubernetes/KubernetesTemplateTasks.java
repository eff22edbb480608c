package hosting.aegir.backend.engine.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import hosting.aegir.backend.catalog.ArgumentSpecs;
import hosting.aegir.backend.catalog.CatalogTask;
import hosting.aegir.backend.catalog.TaskSource;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The Kubernetes engine's tasks: a folder per task under
 * {@code aegir.kubernetes.tasks-directory}, its {@code argument_specs.yml} beside its
 * template, when that engine is enabled.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.kubernetes", name = "enabled", havingValue = "true")
class KubernetesTemplateTasks implements TaskSource {

	private final KubernetesProperties kubernetes;

	KubernetesTemplateTasks(KubernetesProperties kubernetes) {
		this.kubernetes = kubernetes;
	}

	@Override
	public List<CatalogTask> tasks() {
		Path directory = kubernetes.tasks();
		List<CatalogTask> tasks = new ArrayList<>();
		try (Stream<Path> dirs = Files.list(directory)) {
			for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
				tasks.add(ArgumentSpecs.read(dir.resolve("argument_specs.yml"), dir.getFileName().toString(),
						"kubernetes", List.of(), Set.of()));
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read the Kubernetes tasks in " + directory + ": " + ex.getMessage(),
					ex);
		}
		return tasks;
	}

	@Override
	public String toString() {
		return "Kubernetes task templates from " + kubernetes.tasks();
	}

}
