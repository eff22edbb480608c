package hosting.aegir.backend.engine.ansible;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.CatalogValidator.Violation;
import hosting.aegir.backend.catalog.SubmissionRules;
import hosting.aegir.backend.engine.ansible.AnsibleInventory.InventoryUnavailableException;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * What the Ansible engine refuses in a submission: the operator settings its roles
 * declare in {@code meta/operator_settings.yml}, hosts outside the operator's inventory,
 * request paths outside the operator's roots.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class AnsibleSubmissionRules implements SubmissionRules {

	private final OperatorSettings settings;

	private final TargetHosts targetHosts;

	private final RequestPaths requestPaths;

	AnsibleSubmissionRules(OperatorSettings settings, TargetHosts targetHosts, RequestPaths requestPaths) {
		this.settings = settings;
		this.targetHosts = targetHosts;
		this.requestPaths = requestPaths;
	}

	@Override
	public String engine() {
		return "ansible";
	}

	@Override
	public Optional<String> operatorSetting(String task, String variable) {
		if (!settings.isSetting(task, variable)) {
			return Optional.empty();
		}
		return Optional.of("an operator setting of task '" + task
				+ "': it comes from the operator's inventory (group_vars, host_vars) "
				+ "or the role's defaults, never from a request");
	}

	@Override
	public Hosts hosts(String hosts) {
		try {
			return targetHosts.check(hosts);
		}
		catch (InventoryUnavailableException ex) {
			throw new HostsUncheckableException("the operator's inventory cannot be read: " + ex.getMessage(), ex);
		}
	}

	@Override
	public List<Violation> paths(Set<String> hosts, Map<String, Object> vars, List<TaskInput> tasks) {
		return requestPaths.check(hosts, vars, tasks);
	}

}
