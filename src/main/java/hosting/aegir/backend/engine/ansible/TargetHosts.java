package hosting.aegir.backend.engine.ansible;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import hosting.aegir.backend.catalog.CatalogValidator.Violation;
import hosting.aegir.backend.catalog.SubmissionRules.Hosts;
import hosting.aegir.backend.engine.ansible.AnsibleInventory.Snapshot;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Checks an Ansible operation's {@code hosts} against the operator's inventory: one name,
 * or a comma-separated list of names, each an inventory host or group. Patterns
 * ({@code all}, wildcards, {@code ~regex}, {@code !}, {@code &}, {@code :}, ranges) reach
 * more than a front-end should and are refused unless
 * {@code aegir.ansible.allow-host-patterns} is set; a name the inventory does not hold is
 * refused at submit rather than failing the run.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class TargetHosts {

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

	// Groups every inventory has implicitly: naming one reaches every host.
	private static final Set<String> IMPLICIT_GROUPS = Set.of("all", "ungrouped");

	private final AnsibleInventory inventory;

	private final InventoryProperties properties;

	TargetHosts(AnsibleInventory inventory, InventoryProperties properties) {
		this.inventory = inventory;
		this.properties = properties;
	}

	/**
	 * What the operation's {@code hosts} reach, or why they are refused.
	 * @throws AnsibleInventory.InventoryUnavailableException when the inventory cannot be
	 * read
	 */
	Hosts check(String hosts) {
		List<String> names = List.of(hosts.split(",", -1));
		boolean pattern = names.stream().anyMatch(n -> !NAME.matcher(n).matches() || IMPLICIT_GROUPS.contains(n));
		if (pattern) {
			if (properties.allowHostPatterns()) {
				return Hosts.UNCHECKED;
			}
			return new Hosts(List
				.of(new Violation("hosts", "must name inventory hosts or groups (comma-separated), not a pattern "
						+ "such as all, *, ~regex, !, &, : or a range (an operator may allow patterns with aegir.ansible.allow-host-patterns)")),
					Set.of());
		}
		Snapshot snapshot = inventory.snapshot();
		if (!names.stream().allMatch(snapshot::knows)) {
			snapshot = inventory.refreshed();
		}
		List<Violation> violations = new ArrayList<>();
		Set<String> reached = new LinkedHashSet<>();
		for (String name : names) {
			if (!snapshot.knows(name)) {
				violations.add(new Violation("hosts", "the inventory has no host or group '" + name + "'"));
			}
			else {
				reached.addAll(snapshot.resolve(name));
			}
		}
		return new Hosts(violations, reached);
	}

	/**
	 * The inventory's variables of a host, for checks that depend on the operator's
	 * settings.
	 */
	Object hostVar(String host, String name) {
		return inventory.snapshot().hostVars().getOrDefault(host, Map.of()).get(name);
	}

}
