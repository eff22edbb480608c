package hosting.aegir.backend.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An Ansible directory for tests that run the fault tests' own roles
 * ({@code src/test/resources/ansible-faults/roles}) with the real {@code ansible.cfg},
 * callback plugin and inventory.
 */
public final class FaultRoles {

	private FaultRoles() {
	}

	/**
	 * Makes {@code
	 *
	<dir>
	 * /ansible}: {@code ansible/} as it is, except its roles, which are the fault tests'
	 * own.
	 */
	public static Path ansibleDirectory(Path dir) throws IOException {
		Path real = Path.of("ansible").toAbsolutePath();
		Path ansible = Files.createDirectory(dir.resolve("ansible"));
		Files.copy(real.resolve("ansible.cfg"), ansible.resolve("ansible.cfg"));
		Files.createSymbolicLink(ansible.resolve("callback_plugins"), real.resolve("callback_plugins"));
		Files.createSymbolicLink(ansible.resolve("inventory"), real.resolve("inventory"));
		Files.createSymbolicLink(ansible.resolve("roles"),
				Path.of("src/test/resources/ansible-faults/roles").toAbsolutePath());
		return ansible;
	}

}
