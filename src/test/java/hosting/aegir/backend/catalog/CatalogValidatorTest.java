package hosting.aegir.backend.catalog;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.CatalogValidator.Violation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Validation against catalog entries, whichever engine they come from, and the rules of
 * the submission's engine asked without knowing which engine it is. The Ansible roles'
 * own entries and rules are tested beside them, in {@code engine.ansible}.
 */
class CatalogValidatorTest {

	private static final CatalogTask PICK = new CatalogTask("pick", "toy", "test", null,
			List.of(new CatalogVariable("colour", "str", true, null, null, List.of("red", "blue"), null, false),
					new CatalogVariable("ports", "list", false, List.of(), null, null, "int", false)),
			List.of("verify"));

	private final CatalogValidator validator = new CatalogValidator(new TaskCatalog(List.of(PICK)));

	@Test
	void choicesTypedListsAndTaskFilesAreChecked() {
		assertThat(validator.validate("toy", Map.of(), List.of(new TaskInput("pick", Map.of("colour", "green"), null)))
			.violations())
			.containsExactly(new Violation("tasks[0].vars.colour", "must be one of [red, blue] (task 'pick')"));
		assertThat(validator
			.validate("toy", Map.of(),
					List.of(new TaskInput("pick", Map.of("colour", "red", "ports", List.of(80, "443")), null)))
			.violations()).extracting(Violation::field).containsExactly("tasks[0].vars.ports");
		assertThat(
				validator.validate("toy", Map.of(), List.of(new TaskInput("pick", Map.of("colour", "red"), "verify")))
					.violations())
			.isEmpty();
		assertThat(validator.validate("toy", Map.of(), List.of(new TaskInput("pick", Map.of("colour", "red"), "main2")))
			.violations()).extracting(Violation::field).containsExactly("tasks[0].tasksFrom");
	}

	@Test
	void enginesWithoutACatalogAreNotChecked() {
		assertThat(validator.validate("kubernetes", Map.of("x", 1), List.of(new TaskInput("anything", Map.of(), null)))
			.violations()).isEmpty();
	}

	@Test
	void theRulesOfTheSubmissionsEngineSayWhatIsTheOperators() {
		CatalogTask otherPick = new CatalogTask("pick", "other", "test", null, PICK.variables(), List.of());
		CatalogValidator withRules = new CatalogValidator(new TaskCatalog(List.of(PICK, otherPick)),
				List.of(new ToyRules()));
		assertThat(withRules
			.validate("toy", Map.of("colour", "red"), List.of(new TaskInput("pick", Map.of("palette", "/tmp"), null)))
			.violations()).containsExactly(new Violation("tasks[0].vars.palette", "the toy operator's palette"));
		assertThat(withRules
			.validate("toy", Map.of("colour", "red", "palette", "/tmp"), List.of(new TaskInput("pick", Map.of(), null)))
			.violations()).containsExactly(new Violation("vars.palette", "the toy operator's palette"));
		// Another engine's task of the same name is judged by that engine's rules:
		// here none, so the variable is merely one the task does not take.
		assertThat(withRules
			.validate("other", Map.of("colour", "red"), List.of(new TaskInput("pick", Map.of("palette", "/tmp"), null)))
			.violations())
			.containsExactly(new Violation("tasks[0].vars.palette", "task 'pick' takes no variable 'palette'"));
	}

	@Test
	void hostsAndPathsAreCheckedByTheRulesOfTheSubmissionsEngine() {
		CatalogValidator withRules = new CatalogValidator(new TaskCatalog(List.of(PICK)), List.of(new ToyRules()));
		assertThat(withRules.hosts("toy", "elsewhere").violations())
			.containsExactly(new Violation("hosts", "the toy knows only here"));
		assertThat(withRules.hosts("toy", "here").reached()).containsExactly("here");
		assertThat(withRules.hosts("toy", null)).isEqualTo(SubmissionRules.Hosts.UNCHECKED);
		assertThat(withRules.hosts("other", "elsewhere")).isEqualTo(SubmissionRules.Hosts.UNCHECKED);
		assertThat(withRules.paths("toy", Set.of("here"), Map.of(), List.of())).isNotEmpty();
		assertThat(withRules.paths("other", Set.of("here"), Map.of(), List.of())).isEmpty();
	}

	// A third engine's rules, as small as the SPI allows.
	private static final class ToyRules implements SubmissionRules {

		@Override
		public String engine() {
			return "toy";
		}

		@Override
		public Optional<String> operatorSetting(String task, String variable) {
			return "palette".equals(variable) ? Optional.of("the toy operator's palette") : Optional.empty();
		}

		@Override
		public Hosts hosts(String hosts) {
			return "here".equals(hosts) ? new Hosts(List.of(), Set.of("here"))
					: new Hosts(List.of(new Violation("hosts", "the toy knows only here")), Set.of());
		}

		@Override
		public List<Violation> paths(Set<String> hosts, Map<String, Object> vars, List<TaskInput> tasks) {
			return hosts.stream().map(host -> new Violation("vars.path", "outside the root of " + host)).toList();
		}

	}

}
