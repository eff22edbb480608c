package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import hosting.aegir.backend.catalog.ArgumentSpecs;
import hosting.aegir.backend.catalog.CatalogTask;

/**
 * Reads the catalog entries of Ansible roles from their {@code meta/argument_specs.yml}.
 */
final class RoleArgumentSpecReader {

	private RoleArgumentSpecReader() {
	}

	static List<CatalogTask> read(Path rolesDirectory) {
		if (!Files.isDirectory(rolesDirectory)) {
			throw new IllegalStateException("no Ansible roles directory at " + rolesDirectory
					+ " (set aegir.ansible.directory, or aegir.ansible.enabled=false)");
		}
		List<CatalogTask> tasks = new ArrayList<>();
		try (Stream<Path> roles = Files.list(rolesDirectory)) {
			for (Path role : roles.sorted().toList()) {
				Path spec = role.resolve("meta/argument_specs.yml");
				if (Files.isRegularFile(spec)) {
					tasks.add(read(role, spec));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("cannot read the roles in " + rolesDirectory + ": " + ex.getMessage(), ex);
		}
		return tasks;
	}

	private static CatalogTask read(Path role, Path spec) throws IOException {
		List<String> taskFiles = new ArrayList<>();
		Path tasksDir = role.resolve("tasks");
		if (Files.isDirectory(tasksDir)) {
			try (Stream<Path> files = Files.list(tasksDir)) {
				files.map(f -> f.getFileName().toString())
					.filter(f -> f.endsWith(".yml") && !f.equals("main.yml"))
					.map(f -> f.substring(0, f.length() - 4))
					.sorted()
					.forEach(taskFiles::add);
			}
		}
		// Operator settings stay in the argument spec (Ansible checks their
		// types) but are not the client's to send.
		CatalogTask task = ArgumentSpecs.read(spec, role.getFileName().toString(), "ansible", taskFiles,
				OperatorSettings.of(role).settings());
		// What the role returns with set_stats is declared next to its argument
		// spec, in meta/outputs.yml.
		return new CatalogTask(task.name(), task.engine(), task.summary(), task.description(), task.variables(),
				task.taskFiles(), ArgumentSpecs.outputs(role.resolve("meta/outputs.yml")));
	}

}
