package hosting.aegir.backend.engine;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.springframework.stereotype.Component;

/** The engines enabled on this replica, by name. */
@Component
public class Engines {

	private final Map<String, Engine> byName;

	public Engines(List<Engine> engines) {
		this.byName = engines.stream().collect(Collectors.toMap(Engine::name, Function.identity()));
	}

	public Optional<Engine> get(String name) {
		return Optional.ofNullable(byName.get(name));
	}

	public Set<String> names() {
		return new TreeSet<>(byName.keySet());
	}

}
