package hosting.aegir.backend.engine.ansible;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How submissions are checked against the operator's inventory (beside
 * {@link AnsibleProperties}, under the same prefix).
 *
 * @param allowHostPatterns whether {@code hosts} may be an Ansible pattern ({@code all},
 * {@code web*}, {@code a:&b}, ...) rather than the names of inventory hosts or groups
 * @param inventoryCommand the command that lists the inventory as JSON (an argument list;
 * {@code -i
 * <inventory> --list} is appended)
 * @param inventoryMaxAge how long a read of the inventory is used before it is read again
 * @param inventoryRefreshInterval a name the last read did not know re-reads the
 * inventory at most this often
 */
@ConfigurationProperties("aegir.ansible")
public record InventoryProperties(@DefaultValue("false") boolean allowHostPatterns,
		@DefaultValue("ansible-inventory") List<String> inventoryCommand, @DefaultValue("5m") Duration inventoryMaxAge,
		@DefaultValue("10s") Duration inventoryRefreshInterval) {
}
