package hosting.aegir.backend.engine.ansible;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.CatalogValidator.Violation;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The submit-time half of the path check (the roles check again on the host, after
 * resolving links): each path a role declares in {@code request_paths} must be absolute
 * and plain (no {@code .} or {@code ..} segment, no empty segment, no control character
 * or template brace) and, for every host the operation reaches, lie inside the operator
 * root that host has (its inventory value, else the role's default). Roots that are
 * templates are left to the host-side check.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class RequestPaths {

	private static final Pattern PLAIN = Pattern.compile("/[^\\x00-\\x1f\\x7f{}]*");

	private final OperatorSettings settings;

	private final TargetHosts targetHosts;

	RequestPaths(OperatorSettings settings, TargetHosts targetHosts) {
		this.settings = settings;
		this.targetHosts = targetHosts;
	}

	List<Violation> check(Set<String> hosts, Map<String, Object> vars, List<TaskInput> tasks) {
		List<Violation> violations = new ArrayList<>();
		for (int i = 0; i < tasks.size(); i++) {
			TaskInput task = tasks.get(i);
			OperatorSettings.RoleSettings role = settings.of(task.name());
			for (Map.Entry<String, String> path : role.requestPaths().entrySet()) {
				String name = path.getKey();
				boolean inTask = task.vars().containsKey(name);
				Object value = inTask ? task.vars().get(name) : vars.get(name);
				if (!(value instanceof String text)) {
					continue;
				}
				String field = inTask ? "tasks[" + i + "].vars." + name : "vars." + name;
				String problem = problem(text);
				if (problem == null) {
					problem = outsideRoot(text, path.getValue(), role, hosts);
				}
				if (problem != null && violations.stream().noneMatch(v -> v.field().equals(field))) {
					violations.add(new Violation(field, problem + " (task '" + task.name() + "')"));
				}
			}
		}
		return violations;
	}

	private static String problem(String path) {
		if (!PLAIN.matcher(path).matches()) {
			return "must be an absolute path without control characters or braces";
		}
		for (String segment : path.substring(1).split("/", -1)) {
			if (segment.equals("..") || segment.equals(".") || (segment.isEmpty() && !path.equals("/"))) {
				return "must be a plain absolute path (no '.', '..' or empty segment)";
			}
		}
		return null;
	}

	private String outsideRoot(String path, String rootSetting, OperatorSettings.RoleSettings role, Set<String> hosts) {
		for (String host : hosts) {
			Object root = targetHosts.hostVar(host, rootSetting);
			if (root == null) {
				root = role.defaults().get(rootSetting);
			}
			if (root instanceof String text && text.startsWith("/") && !text.contains("{")) {
				String prefix = text.endsWith("/") ? text : text + "/";
				if (!path.startsWith(prefix) || path.length() == prefix.length()) {
					return "must lie inside " + text + " (the " + rootSetting + " of host " + host + ")";
				}
			}
		}
		return null;
	}

}
