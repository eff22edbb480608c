package hosting.aegir.backend.engine.kubernetes;

import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.engine.kubernetes.TaskTemplates.Option;

/**
 * One task of a run with its variables resolved: the task's own, else the operation's,
 * else the spec's default.
 */
record RunTask(UUID operationId, int attempt, int index, String name, String namespace, Map<String, Object> taskVars,
		Map<String, Object> operationVars, Map<String, Option> options) {

	Object value(String variable) {
		if (taskVars.containsKey(variable)) {
			return taskVars.get(variable);
		}
		if (operationVars.containsKey(variable)) {
			return operationVars.get(variable);
		}
		Option option = options.get(variable);
		return option == null ? null : option.defaultValue();
	}

	String string(String variable) {
		return value(variable) instanceof String s ? s : null;
	}

}
