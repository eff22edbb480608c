package hosting.aegir.backend.engine.ansible;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import hosting.aegir.backend.catalog.CatalogOutput;
import hosting.aegir.backend.catalog.CatalogTask;
import hosting.aegir.backend.catalog.CatalogValidator;
import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.CatalogValidator.Violation;
import hosting.aegir.backend.catalog.CatalogVariable;
import hosting.aegir.backend.catalog.SubmissionRules.HostsUncheckableException;
import hosting.aegir.backend.catalog.TaskCatalog;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The catalog the Ansible engine gives, read from the real roles, and the validation of
 * submissions against it and against the roles' operator settings.
 */
class AnsibleRoleCatalogTest {

	private final TaskCatalog roles = new TaskCatalog(RoleArgumentSpecReader.read(Path.of("ansible/roles")));

	private final CatalogValidator validator = new CatalogValidator(new TaskCatalog(concat(roles.all(),
			new CatalogTask("aegir.Pick", "ansible", "test", null,
					List.of(new CatalogVariable("colour", "str", true, null, null, List.of("red", "blue"), null, false),
							new CatalogVariable("ports", "list", false, List.of(), null, null, "int", false)),
					List.of("verify")))));

	@Test
	void theRealRolesAreRead() {
		CatalogTask backup = roles.find("ansible", "aegir.GenerateDrupalSiteBackup").orElseThrow();
		assertThat(backup.summary()).isEqualTo("Back up a Drupal site");
		assertThat(backup.variable("site_root").required()).isTrue();
		// Operator settings are not the client's: the catalog does not list them.
		assertThat(backup.variable("drush")).isNull();
		assertThat(backup.variable("backup_root")).isNull();
		CatalogTask install = roles.find("ansible", "aegir.InstallDrupalSite").orElseThrow();
		assertThat(install.variable("db_password").noLog()).isTrue();
		// The URL is built by the role from names and the operator's server: neither is
		// the client's.
		assertThat(install.variable("db_url")).isNull();
		assertThat(install.variable("db_host")).isNull();
		assertThat(install.variable("drush_user")).isNull();
	}

	@Test
	void aValidOperationPassesAndNamesItsSecrets() {
		var result = validator.validate("ansible", Map.of("site_uri", "example.org", "site_root", "/srv/d10"),
				List.of(new TaskInput("aegir.InstallDrupalSite",
						Map.of("db_name", "d", "db_user", "u", "db_password", "p", "account_pass", "pw"), null),
						new TaskInput("aegir.RunDrupalCron", Map.of(), null)));
		assertThat(result.violations()).isEmpty();
		assertThat(result.secrets()).containsExactlyInAnyOrder("db_password", "account_pass");
	}

	@Test
	void theBackupRoleDeclaresItsOutputs() {
		CatalogTask backup = roles.find("ansible", "aegir.GenerateDrupalSiteBackup").orElseThrow();
		assertThat(backup.outputs()).extracting(CatalogOutput::name, CatalogOutput::type, CatalogOutput::secret)
			.startsWith(org.assertj.core.groups.Tuple.tuple("backup_path", "path", false),
					org.assertj.core.groups.Tuple.tuple("backup_size", "str", false),
					org.assertj.core.groups.Tuple.tuple("backup_sha256", "str", false));
	}

	@Test
	void anOutputReferenceMustNameADeclaredOutputOfAnEarlierTaskOfAFittingType() {
		Map<String, Object> site = Map.of("site_uri", "example.org", "site_root", "/srv/d10");
		var backup = new TaskInput("aegir.GenerateDrupalSiteBackup", Map.of(), null);
		assertThat(validator.validate("ansible", site, List.of(backup, restoreFrom(0, "backup_path"))).violations())
			.isEmpty();
		assertThat(validator.validate("ansible", site, List.of(backup, restoreFrom(0, "nope"))).violations())
			.extracting(Violation::field, Violation::message)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("tasks[1].vars.backup_path",
					"task 0 ('aegir.GenerateDrupalSiteBackup') has no output 'nope' (it returns [backup_path, backup_size, backup_sha256, backup_description, backup_task]) (task 'aegir.RestoreDrupalSiteBackup')"));
		assertThat(validator.validate("ansible", site, List.of(restoreFrom(1, "backup_path"), backup)).violations())
			.extracting(Violation::message)
			.singleElement()
			.asString()
			.contains("not an earlier task");
		assertThat(validator.validate("ansible", site, List.of(restoreFrom(0, "backup_path"))).violations())
			.extracting(Violation::message)
			.singleElement()
			.asString()
			.contains("not an earlier task");
		Map<String, Object> shared = new java.util.HashMap<>(site);
		shared.put("backup_path", Map.of("fromOutput", Map.of("task", 0, "name", "backup_path")));
		assertThat(validator
			.validate("ansible", shared,
					List.of(backup, new TaskInput("aegir.RestoreDrupalSiteBackup", Map.of(), null)))
			.violations()).extracting(Violation::field, Violation::message)
			.contains(org.assertj.core.groups.Tuple.tuple("vars.backup_path",
					"an output reference belongs in a task's vars, not the operation's (task 'aegir.RestoreDrupalSiteBackup')"));
		assertThat(
				validator
					.validate("ansible", site,
							List.of(backup, new TaskInput("aegir.Pick",
									Map.of("colour", "red", "ports",
											Map.of("fromOutput", Map.of("task", 0, "name", "backup_path"))),
									null)))
					.violations())
			.extracting(Violation::message)
			.singleElement()
			.asString()
			.contains("is of type path, this variable takes list");
		assertThat(
				validator
					.validate("ansible", site,
							List.of(backup, new TaskInput("aegir.RestoreDrupalSiteBackup",
									Map.of("backup_path", Map.of("fromOutput", "{{ lookup('pipe', 'id') }}")), null)))
					.violations())
			.extracting(Violation::message)
			.singleElement()
			.asString()
			.startsWith("must be an output reference");
	}

	private static TaskInput restoreFrom(int task, String output) {
		return new TaskInput("aegir.RestoreDrupalSiteBackup",
				Map.of("backup_path", Map.of("fromOutput", Map.of("task", task, "name", output))), null);
	}

	@Test
	void anOperationVariableSatisfiesEveryTaskThatTakesIt() {
		var result = validator.validate("ansible", Map.of("site_uri", "example.org", "site_root", "/srv"),
				List.of(new TaskInput("aegir.RunDrupalCron", Map.of(), null),
						new TaskInput("aegir.RunDrupalCron", Map.of("site_uri", "b.example"), null)));
		assertThat(result.violations()).isEmpty();
	}

	@Test
	void operatorSettingsAreRefusedWhereverARequestGivesThem() {
		CatalogValidator strict = new CatalogValidator(roles, List.of(rules(List.of("ansible-inventory"))));
		Map<String, Object> site = Map.of("site_uri", "example.org", "site_root", "/var/aegir/platforms/d10");
		assertThat(strict
			.validate("ansible", Map.of("site_uri", "example.org"),
					List.of(new TaskInput("aegir.DeleteNginxVhost",
							Map.of("nginx_reload_command", List.of("/bin/sh", "-c", "id > /tmp/x")), null)))
			.violations()).singleElement().satisfies(v -> {
				assertThat(v.field()).isEqualTo("tasks[0].vars.nginx_reload_command");
				assertThat(v.message()).contains("operator setting").contains("inventory");
			});
		Map<String, Object> withDrush = new java.util.HashMap<>(site);
		withDrush.put("drush", "/tmp/evil");
		assertThat(strict.validate("ansible", withDrush, List.of(new TaskInput("aegir.RunDrupalCron", Map.of(), null)))
			.violations()).extracting(Violation::field).containsExactly("vars.drush");
		assertThat(strict.validate("ansible", site, List.of(new TaskInput("aegir.RunDrupalCron", Map.of(), null)))
			.violations()).isEmpty();
	}

	@Test
	void hostsAndRequestPathsAreCheckedAgainstWhatTheOperatorGives() {
		AnsibleSubmissionRules unreadable = rules(List.of("false"));
		// A pattern is refused before the inventory is read.
		assertThat(unreadable.hosts("all").violations()).extracting(Violation::field).containsExactly("hosts");
		assertThatThrownBy(() -> unreadable.hosts("web1")).isInstanceOf(HostsUncheckableException.class)
			.hasMessage("the operator's inventory cannot be read: false exited with code 1");
		// A request path is plain and absolute, whichever hosts it is for.
		assertThat(unreadable.paths(Set.of(), Map.of("site_root", "/var/aegir/platforms/../../etc"),
				List.of(new TaskInput("aegir.DeleteDrupalSite", Map.of(), null))))
			.containsExactly(new Violation("vars.site_root",
					"must be a plain absolute path (no '.', '..' or empty segment) (task 'aegir.DeleteDrupalSite')"));
	}

	// The engine's own rules, built as Spring builds them: the inventory is
	// read with the given command when a check first needs it.
	private static AnsibleSubmissionRules rules(List<String> inventoryCommand) {
		var ansible = new AnsibleProperties(true, Path.of("ansible"), Path.of("ansible/inventory/hosts.yml"),
				List.of("ansible-playbook"), null, Duration.ofSeconds(5), true, null);
		var properties = new InventoryProperties(false, inventoryCommand, Duration.ofMinutes(5),
				Duration.ofSeconds(10));
		var hosts = new TargetHosts(
				new AnsibleInventory(ansible, properties, JsonMapper.builder().build(),
						new PlaybookEnvironment(ansible, new AnsibleEnvironmentProperties(List.of(), null))),
				properties);
		var settings = new OperatorSettings(ansible);
		return new AnsibleSubmissionRules(settings, hosts, new RequestPaths(settings, hosts));
	}

	private static List<CatalogTask> concat(List<CatalogTask> a, CatalogTask b) {
		List<CatalogTask> all = new java.util.ArrayList<>(a);
		all.add(b);
		return all;
	}

}
