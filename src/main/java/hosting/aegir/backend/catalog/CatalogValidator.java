package hosting.aegir.backend.catalog;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Checks an operation's tasks and variables against the catalog before it is accepted:
 * every task exists, every variable a task requires is given (in the task's vars or the
 * operation's), every value has the declared type and is one of the declared choices, and
 * no variable is given that no task takes, and no operator setting is given at all. What
 * is an operator setting, and which hosts and paths a submission may name, the
 * {@link SubmissionRules} of the submission's engine say. Also says which variables are
 * secrets.
 */
@Component
public class CatalogValidator {

	// An engine that registers no rules refuses nothing beyond its catalog entries.
	private static final SubmissionRules NO_RULES = () -> null;

	private final TaskCatalog catalog;

	private final Map<String, SubmissionRules> rules;

	@Autowired
	public CatalogValidator(TaskCatalog catalog, ObjectProvider<SubmissionRules> rules) {
		this(catalog, rules.orderedStream().toList());
	}

	/** A validator for the given engines' rules, for tests. */
	public CatalogValidator(TaskCatalog catalog, List<SubmissionRules> rules) {
		this.catalog = catalog;
		this.rules = rules.stream().collect(Collectors.toUnmodifiableMap(SubmissionRules::engine, Function.identity()));
	}

	/** A validator for a catalog without an engine's rules, for tests. */
	public CatalogValidator(TaskCatalog catalog) {
		this(catalog, List.of());
	}

	/** A task of the submission, as the catalog sees it. */
	public record TaskInput(String name, Map<String, Object> vars, String tasksFrom) {
	}

	/** One problem, named by the request field it is about. */
	public record Violation(String field, String message) {
	}

	/**
	 * The violations found (none: the submission may be accepted) and the names of secret
	 * variables.
	 */
	public record Result(List<Violation> violations, Set<String> secrets) {
	}

	public Result validate(String engine, Map<String, Object> vars, List<TaskInput> tasks) {
		if (!catalog.covers(engine)) {
			return new Result(List.of(), Set.of());
		}
		SubmissionRules engineRules = rules(engine);
		List<Violation> violations = new ArrayList<>();
		Set<String> secrets = new LinkedHashSet<>();
		Set<String> usedOperationVars = new HashSet<>();
		for (int i = 0; i < tasks.size(); i++) {
			TaskInput input = tasks.get(i);
			String at = "tasks[" + i + "]";
			CatalogTask task = catalog.find(engine, input.name()).orElse(null);
			if (task == null) {
				violations.add(new Violation(at + ".name",
						"unknown task '" + input.name() + "' (GET /api/v1/tasks lists the tasks that exist)"));
				continue;
			}
			if (input.tasksFrom() != null && !task.taskFiles().contains(input.tasksFrom())) {
				violations.add(new Violation(at + ".tasksFrom",
						"task '" + task.name() + "' has no task file '" + input.tasksFrom() + "'"));
			}
			for (String name : input.vars().keySet()) {
				Optional<String> setting = engineRules.operatorSetting(task.name(), name);
				if (setting.isPresent()) {
					violations.add(new Violation(at + ".vars." + name, setting.get()));
				}
				else if (task.variable(name) == null) {
					violations.add(new Violation(at + ".vars." + name,
							"task '" + task.name() + "' takes no variable '" + name + "'"));
				}
			}
			for (CatalogVariable variable : task.variables()) {
				boolean inTask = input.vars().containsKey(variable.name());
				boolean inOperation = vars.containsKey(variable.name());
				if (inOperation) {
					usedOperationVars.add(variable.name());
				}
				if (variable.noLog()) {
					secrets.add(variable.name());
				}
				if (!inTask && !inOperation) {
					if (variable.required()) {
						violations.add(new Violation(at + ".vars." + variable.name(), "required by task '" + task.name()
								+ "' and not given (in the task's vars or the operation's)"));
					}
					continue;
				}
				String field = inTask ? at + ".vars." + variable.name() : "vars." + variable.name();
				Object value = inTask ? input.vars().get(variable.name()) : vars.get(variable.name());
				String problem = OutputReference.isReference(value)
						? referenceProblem(engine, tasks, i, inTask, variable, value) : typeProblem(variable, value);
				if (problem != null) {
					violations.add(new Violation(field, problem + " (task '" + task.name() + "')"));
				}
			}
		}
		for (String name : vars.keySet()) {
			String setting = tasks.stream()
				.map(task -> engineRules.operatorSetting(task.name(), name))
				.flatMap(Optional::stream)
				.findFirst()
				.orElse(null);
			if (setting != null) {
				violations.add(new Violation("vars." + name, setting));
			}
			else if (!usedOperationVars.contains(name)
					&& violations.stream().noneMatch(v -> v.field().endsWith(".name"))) {
				violations
					.add(new Violation("vars." + name, "no task of this operation takes a variable '" + name + "'"));
			}
		}
		return new Result(violations, secrets);
	}

	/**
	 * Checks an operation's {@code hosts} with the rules of its engine: nothing is
	 * refused, and nothing known of the hosts reached, when it names none.
	 * @throws SubmissionRules.HostsUncheckableException when they cannot be checked now
	 */
	public SubmissionRules.Hosts hosts(String engine, String hosts) {
		return hosts == null ? SubmissionRules.Hosts.UNCHECKED : rules(engine).hosts(hosts);
	}

	/**
	 * Checks the paths an operation gives with the rules of its engine, for the hosts
	 * {@link #hosts} found it reaches.
	 */
	public List<Violation> paths(String engine, Set<String> hosts, Map<String, Object> vars, List<TaskInput> tasks) {
		return rules(engine).paths(hosts, vars, tasks);
	}

	private SubmissionRules rules(String engine) {
		return engine == null ? NO_RULES : rules.getOrDefault(engine, NO_RULES);
	}

	// The engine resolves a reference while the operation runs. All that can be
	// known before is checked here: the earlier task exists, it declares the
	// output, and the output's type fits.
	private String referenceProblem(String engine, List<TaskInput> tasks, int at, boolean inTask,
			CatalogVariable variable, Object value) {
		if (!inTask) {
			return "an output reference belongs in a task's vars, not the operation's";
		}
		OutputReference reference = OutputReference.of(value).orElse(null);
		if (reference == null) {
			return "must be an output reference {\"fromOutput\": {\"task\": <index of an earlier task>, \"name\": <output>}}";
		}
		if (reference.task() >= at) {
			return "refers to task " + reference.task() + ", which is not an earlier task of this operation";
		}
		CatalogTask earlier = catalog.find(engine, tasks.get(reference.task()).name()).orElse(null);
		if (earlier == null) {
			return "refers to task " + reference.task() + ", which is not a known task";
		}
		CatalogOutput output = earlier.output(reference.name());
		if (output == null) {
			return "task " + reference.task() + " ('" + earlier.name() + "') has no output '" + reference.name() + "'"
					+ (earlier.outputs().isEmpty() ? ""
							: " (it returns " + earlier.outputs().stream().map(CatalogOutput::name).toList() + ")");
		}
		if (!compatible(output.type(), variable.type())) {
			return "output '" + reference.name() + "' of task " + reference.task() + " is of type " + output.type()
					+ ", this variable takes " + variable.type();
		}
		return null;
	}

	private static boolean compatible(String output, String variable) {
		if ("raw".equals(variable) || output.equals(variable)) {
			return true;
		}
		return Set.of("str", "path").containsAll(Set.of(output, variable));
	}

	private static String typeProblem(CatalogVariable variable, Object value) {
		if (value == null) {
			return variable.required() ? "must not be null" : null;
		}
		String problem = typeProblem(variable.type(), value);
		if (problem == null && "list".equals(variable.type()) && variable.elements() != null) {
			for (Object element : (List<?>) value) {
				String elementProblem = typeProblem(variable.elements(), element);
				if (elementProblem != null) {
					return "every element " + elementProblem;
				}
			}
		}
		if (problem == null && variable.choices() != null && !variable.choices().contains(value)) {
			return "must be one of " + variable.choices();
		}
		return problem;
	}

	private static String typeProblem(String type, Object value) {
		return switch (type) {
			case "str", "path" -> value instanceof String ? null : "must be a string";
			case "int" -> value instanceof Integer || value instanceof Long || value instanceof BigInteger ? null
					: "must be an integer";
			case "float" -> value instanceof Number ? null : "must be a number";
			case "bool" -> value instanceof Boolean ? null : "must be true or false";
			case "list" -> value instanceof List<?> ? null : "must be a list";
			case "dict" -> value instanceof Map<?, ?> ? null : "must be an object";
			default -> null;
		};
	}

}
