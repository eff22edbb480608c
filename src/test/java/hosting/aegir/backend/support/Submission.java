package hosting.aegir.backend.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.json.JsonMapper;

/**
 * Test data for {@code POST /api/v1/operations}:
 * {@code aSubmission().target(..).task(..).vars(..)} names only what a test cares about;
 * the rest is a valid default (an Ansible operation of type {@code site.test} on
 * {@code localhost}, for a target of its own).
 */
public final class Submission {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final Map<String, Object> body = new LinkedHashMap<>();

	private final List<Map<String, Object>> tasks = new ArrayList<>();

	private Submission() {
		body.put("type", "site.test");
		body.put("engine", "ansible");
		body.put("target", "site-" + UUID.randomUUID());
		body.put("hosts", "localhost");
		body.put("vars", Map.of());
	}

	public static Submission aSubmission() {
		return new Submission();
	}

	public Submission type(String type) {
		return with("type", type);
	}

	public Submission engine(String engine) {
		return with("engine", engine);
	}

	public Submission target(String target) {
		return with("target", target);
	}

	public Submission hosts(String hosts) {
		return with("hosts", hosts);
	}

	/** The operation-level variables every task gets. */
	public Submission vars(Map<String, Object> vars) {
		return with("vars", vars);
	}

	public Submission task(String name) {
		return task(name, Map.of());
	}

	public Submission task(String name, Map<String, Object> vars) {
		tasks.add(Map.of("name", name, "vars", vars));
		return this;
	}

	public Submission tasks(List<Map<String, Object>> tasks) {
		this.tasks.clear();
		this.tasks.addAll(tasks);
		return this;
	}

	/** Any other field of the request, as the API names it. */
	public Submission with(String field, Object value) {
		body.put(field, value);
		return this;
	}

	/** The request body as a map. */
	public Map<String, Object> toMap() {
		Map<String, Object> map = new LinkedHashMap<>(body);
		map.put("tasks", List.copyOf(tasks));
		return map;
	}

	/** The request body as JSON. */
	public String toJson() {
		return JSON.writeValueAsString(toMap());
	}

}
