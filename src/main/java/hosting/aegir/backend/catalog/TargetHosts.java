package hosting.aegir.backend.catalog;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import hosting.aegir.backend.catalog.CatalogValidator.Violation;
import hosting.aegir.backend.engine.ansible.AnsibleInventory;
import hosting.aegir.backend.engine.ansible.AnsibleInventory.Snapshot;
import hosting.aegir.backend.engine.ansible.InventoryProperties;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.util.function.SingletonSupplier;

/**
 * Checks an Ansible operation's {@code hosts} against the operator's inventory: one name,
 * or a comma-separated list of names, each an inventory host or group. Patterns
 * ({@code all}, wildcards, {@code ~regex}, {@code !}, {@code &}, {@code :}, ranges) reach
 * more than a front-end should and are refused unless
 * {@code aegir.ansible.allow-host-patterns} is set; a name the inventory does not hold is
 * refused at submit rather than failing the run. Engines other than the enabled Ansible
 * engine are not checked here.
 */
@Component
public class TargetHosts {

	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

	// Groups every inventory has implicitly: naming one reaches every host.
	private static final Set<String> IMPLICIT_GROUPS = Set.of("all", "ungrouped");

	// Resolved once: an ObjectProvider looks the bean up on every call (a walk over the
	// bean definitions), which was a twentieth of a submission's time, for a bean that is
	// there or not from start-up on.
	private final SingletonSupplier<AnsibleInventory> inventory;

	private final InventoryProperties properties;

	public TargetHosts(ObjectProvider<AnsibleInventory> inventory, InventoryProperties properties) {
		this.inventory = SingletonSupplier.ofNullable(inventory::getIfAvailable);
		this.properties = properties;
	}

	/**
	 * What the check found: the problems, and the hosts the operation reaches when they
	 * could be told.
	 */
	public record Result(List<Violation> violations, Set<String> hosts) {
	}

	public Result check(String engine, String hosts) {
		if (!"ansible".equals(engine) || hosts == null) {
			return new Result(List.of(), Set.of());
		}
		AnsibleInventory ansible = inventory.get();
		if (ansible == null) {
			return new Result(List.of(), Set.of());
		}
		List<String> names = List.of(hosts.split(",", -1));
		boolean pattern = names.stream().anyMatch(n -> !NAME.matcher(n).matches() || IMPLICIT_GROUPS.contains(n));
		if (pattern) {
			if (properties.allowHostPatterns()) {
				return new Result(List.of(), Set.of());
			}
			return new Result(List
				.of(new Violation("hosts", "must name inventory hosts or groups (comma-separated), not a pattern "
						+ "such as all, *, ~regex, !, &, : or a range (an operator may allow patterns with aegir.ansible.allow-host-patterns)")),
					Set.of());
		}
		Snapshot snapshot = ansible.snapshot();
		if (!names.stream().allMatch(snapshot::knows)) {
			snapshot = ansible.refreshed();
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
		return new Result(violations, reached);
	}

	/**
	 * The inventory's variables of a host, for checks that depend on the operator's
	 * settings.
	 */
	Object hostVar(String host, String name) {
		AnsibleInventory ansible = inventory.get();
		return ansible == null ? null : ansible.snapshot().hostVars().getOrDefault(host, java.util.Map.of()).get(name);
	}

}
