package hosting.aegir.backend.catalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import hosting.aegir.backend.engine.kubernetes.KubernetesProperties;

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
				tasks.add(RoleArgumentSpecReader.readSpec(dir.resolve("argument_specs.yml"),
						dir.getFileName().toString(), "kubernetes", List.of(), java.util.Set.of()));
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
