package hosting.aegir.backend.engine.ansible;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Builds YAML for Ansible in which every string that came from a client is tagged
 * {@code !unsafe}, so Ansible treats it as data and never templates it ({@code {{
 * lookup('pipe', ...) }}} stays text). Strings the engine itself writes (keywords, role
 * names it validated) are plain.
 */
final class AnsibleYaml {

	static final Tag UNSAFE = new Tag("!unsafe");

	private AnsibleYaml() {
	}

	/** A client value: strings anywhere inside it are tagged unsafe. */
	static Node unsafe(Object value) {
		if (value == null) {
			return scalar(Tag.NULL, "null", DumperOptions.ScalarStyle.PLAIN);
		}
		if (value instanceof String text) {
			return scalar(UNSAFE, text, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
		}
		if (value instanceof Boolean bool) {
			return scalar(Tag.BOOL, bool.toString(), DumperOptions.ScalarStyle.PLAIN);
		}
		if (value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger) {
			return scalar(Tag.INT, value.toString(), DumperOptions.ScalarStyle.PLAIN);
		}
		if (value instanceof Number number) {
			return scalar(Tag.FLOAT, Double.toString(number.doubleValue()), DumperOptions.ScalarStyle.PLAIN);
		}
		if (value instanceof Map<?, ?> map) {
			List<NodeTuple> tuples = new ArrayList<>();
			map.forEach((k, v) -> tuples.add(new NodeTuple(key(String.valueOf(k)), unsafe(v))));
			return new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.BLOCK);
		}
		if (value instanceof List<?> list) {
			return new SequenceNode(Tag.SEQ, list.stream().map(AnsibleYaml::unsafe).toList(),
					DumperOptions.FlowStyle.BLOCK);
		}
		throw new IllegalArgumentException("not a JSON value: " + value.getClass());
	}

	/** A string the engine wrote itself. */
	static Node plain(String text) {
		return scalar(Tag.STR, text, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
	}

	static Node integer(long value) {
		return scalar(Tag.INT, Long.toString(value), DumperOptions.ScalarStyle.PLAIN);
	}

	static Node bool(boolean value) {
		return scalar(Tag.BOOL, Boolean.toString(value), DumperOptions.ScalarStyle.PLAIN);
	}

	// Mapping keys are never templated by Ansible; they are written as quoted plain
	// strings.
	static Node key(String text) {
		return scalar(Tag.STR, text, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
	}

	static MappingNode map(Map<String, Node> entries) {
		List<NodeTuple> tuples = new ArrayList<>();
		entries.forEach((k, v) -> tuples.add(new NodeTuple(key(k), v)));
		return new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.BLOCK);
	}

	static SequenceNode list(List<Node> items) {
		return new SequenceNode(Tag.SEQ, items, DumperOptions.FlowStyle.BLOCK);
	}

	static String write(Node root) {
		DumperOptions options = new DumperOptions();
		options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
		options.setExplicitStart(true);
		options.setWidth(Integer.MAX_VALUE);
		options.setSplitLines(false);
		java.io.StringWriter out = new java.io.StringWriter();
		new Yaml(options).serialize(root, out);
		return out.toString();
	}

	private static ScalarNode scalar(Tag tag, String value, DumperOptions.ScalarStyle style) {
		return new ScalarNode(tag, value, null, null, style);
	}

}
