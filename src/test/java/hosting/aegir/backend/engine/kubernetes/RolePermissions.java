package hosting.aegir.backend.engine.kubernetes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.RecordedRequest;

/**
 * Permissions as {@code group/resource:verb} strings: those the Role in
 * {@code k8s/role.yaml} grants, and those an API request needs, the way the API server's
 * RBAC authoriser derives them.
 */
final class RolePermissions {

	// /api/v1/namespaces/ns/pods/name/log, /apis/batch/v1/namespaces/ns/jobs, ...
	private static final Pattern RESOURCE = Pattern
		.compile("/(?:api/v1|apis/([^/]+)/[^/]+)/namespaces/[^/]+/([^/?]+)(?:/([^/?]+))?(?:/([^/?]+))?(?:\\?(.*))?");

	/**
	 * What the engine applies: in production a server-side apply, which needs create and
	 * patch.
	 */
	private static final Set<String> APPLIED = Set.of("/secrets", "/persistentvolumeclaims", "/services",
			"apps/deployments", "networking.k8s.io/ingresses");

	private RolePermissions() {
	}

	static Set<String> granted(Path roleFile) throws java.io.IOException {
		Role role = new KubernetesSerialization().unmarshal(Files.readString(roleFile), Role.class);
		Set<String> granted = new TreeSet<>();
		role.getRules()
			.forEach(rule -> rule.getApiGroups()
				.forEach(group -> rule.getResources()
					.forEach(resource -> rule.getVerbs()
						.forEach(verb -> granted.add(group + "/" + resource + ":" + verb)))));
		return granted;
	}

	/** What the request needs; empty for non-resource URLs such as {@code /version}. */
	static Set<String> needed(RecordedRequest request) {
		Matcher m = RESOURCE.matcher(request.getPath());
		if (!m.matches()) {
			return Set.of();
		}
		String group = m.group(1) == null ? "" : m.group(1);
		String resource = group + "/" + m.group(2) + (m.group(4) == null ? "" : "/" + m.group(4));
		boolean named = m.group(3) != null;
		String query = m.group(5) == null ? "" : m.group(5);
		// The tests' applier creates or replaces; in production the same object is
		// server-side applied.
		if (APPLIED.contains(resource) && (request.getMethod().equals("POST") || request.getMethod().equals("PUT"))) {
			return Set.of(resource + ":create", resource + ":patch");
		}
		String verb = switch (request.getMethod()) {
			case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
			case "POST" -> "create";
			case "PUT" -> "update";
			case "PATCH" -> "patch";
			case "DELETE" -> named ? "delete" : "deletecollection";
			default -> request.getMethod().toLowerCase(java.util.Locale.ROOT);
		};
		return Set.of(resource + ":" + verb);
	}

}
