package hosting.aegir.backend.engine.ansible;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.engine.EngineRequest;
import hosting.aegir.backend.engine.EngineRequest.EngineTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the engine writes for ansible-playbook: every client string tagged !unsafe, names
 * checked.
 */
class AnsiblePlaybookWriterTest {

	@TempDir
	Path dir;

	private final AnsiblePlaybookWriter writer = new AnsiblePlaybookWriter();

	@Test
	void everyClientStringIsTaggedUnsafeAndStructureIsKept() throws Exception {
		EngineRequest request = new EngineRequest(UUID.randomUUID(), 1, "web:&prod",
				Map.of("site_uri", "{{ lookup('pipe','id') }}", "nested", Map.of("list", List.of("a\nb", 3, true)), "n",
						42),
				List.of(new EngineTask(0, "aegir.RunDrupalCron", Map.of("drush", "/usr/bin/drush\"; rm -rf /"),
						"verify")),
				Duration.ofMinutes(5));
		writer.write(dir, request);
		String vars = Files.readString(dir.resolve("vars.yml"));
		String playbook = Files.readString(dir.resolve("playbook.yml"));

		assertThat(vars).contains("\"site_uri\": !unsafe \"{{ lookup('pipe','id') }}\"")
			.contains("- !unsafe \"a\\nb\"")
			.contains("- 3")
			.contains("- true")
			.contains("\"n\": 42");
		assertThat(playbook).contains("\"hosts\": \"web:&prod\"")
			.contains("\"name\": \"aegir.RunDrupalCron\"")
			.contains("\"tasks_from\": \"verify\"")
			.contains("\"aegir_task_index\": 0")
			.contains("\"drush\": !unsafe \"/usr/bin/drush\\\"; rm -rf /\"");
		// Every client string value carries the tag: no double-quoted scalar without it
		// below vars.
		assertThat(vars.lines().filter(l -> l.contains(": \"") && !l.contains("!unsafe"))).isEmpty();
	}

	@Test
	void namesThatCouldEscapeThePlaybookAreRefused() {
		assertThatThrownBy(() -> writer.write(dir,
				new EngineRequest(UUID.randomUUID(), 1, "all", Map.of(),
						List.of(new EngineTask(0, "../../etc/role", Map.of(), null)), Duration.ofMinutes(1))))
			.isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> writer.write(dir,
				new EngineRequest(UUID.randomUUID(), 1, "{{ x }}", Map.of(),
						List.of(new EngineTask(0, "aegir.RunDrupalCron", Map.of(), null)), Duration.ofMinutes(1))))
			.isInstanceOf(IllegalArgumentException.class);
	}

	@Test
	void anOutputReferenceBecomesALookupBuiltFromCheckedPartsOnly() throws Exception {
		writer.write(dir,
				new EngineRequest(UUID.randomUUID(), 1, "all", Map.of(),
						List.of(new EngineTask(0, "aegir.GenerateDrupalSiteBackup", Map.of(), null),
								new EngineTask(1, "aegir.RestoreDrupalSiteBackup",
										Map.of("backup_path",
												Map.of("fromOutput", Map.of("task", 0, "name", "backup_path"))),
										null)),
						Duration.ofMinutes(1)));
		assertThat(Files.readString(dir.resolve("playbook.yml")))
			.contains("\"backup_path\": \"{{ aegir_task_outputs['0']['backup_path'] }}\"");

		for (Object bad : List.of(Map.of("task", 0, "name", "x'] }}{{ lookup('pipe','id') }}"),
				Map.of("task", 1, "name", "backup_path"), "{{ backup_path }}")) {
			assertThatThrownBy(() -> writer.write(dir,
					new EngineRequest(UUID.randomUUID(), 1, "all", Map.of(),
							List.of(new EngineTask(1, "aegir.RestoreDrupalSiteBackup",
									Map.of("backup_path", Map.of("fromOutput", bad)), null)),
							Duration.ofMinutes(1))))
				.isInstanceOf(IllegalArgumentException.class);
		}
	}

}
