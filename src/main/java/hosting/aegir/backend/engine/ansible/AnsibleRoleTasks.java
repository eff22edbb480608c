package hosting.aegir.backend.engine.ansible;

import java.util.List;

import hosting.aegir.backend.catalog.CatalogTask;
import hosting.aegir.backend.catalog.TaskSource;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The Ansible engine's tasks: the roles of {@code aegir.ansible.directory}, when that
 * engine is enabled.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class AnsibleRoleTasks implements TaskSource {

	private final AnsibleProperties ansible;

	AnsibleRoleTasks(AnsibleProperties ansible) {
		this.ansible = ansible;
	}

	@Override
	public List<CatalogTask> tasks() {
		return RoleArgumentSpecReader.read(ansible.roles());
	}

	@Override
	public String toString() {
		return "Ansible roles from " + ansible.roles();
	}

}
