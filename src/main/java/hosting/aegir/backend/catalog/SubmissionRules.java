package hosting.aegir.backend.catalog;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import hosting.aegir.backend.catalog.CatalogValidator.TaskInput;
import hosting.aegir.backend.catalog.CatalogValidator.Violation;

/**
 * What one engine refuses in a submission besides what its catalog entries say: variables
 * that are the operator's settings, hosts the operator's inventory does not hold, request
 * paths outside the operator's roots. An engine registers one as a bean; the
 * {@link CatalogValidator} asks the one of the submission's engine, without knowing which
 * engine that is. An engine without such rules registers none.
 */
public interface SubmissionRules {

	/** The value of an operation's {@code engine} field these rules judge. */
	String engine();

	/**
	 * Why this variable of the task is the operator's and so refused in a request (the
	 * message of the 422), or empty when a request may give it.
	 */
	default Optional<String> operatorSetting(String task, String variable) {
		return Optional.empty();
	}

	/**
	 * Checks the operation's {@code hosts} field (never null here).
	 * @throws HostsUncheckableException when what the hosts are checked against cannot be
	 * read now
	 */
	default Hosts hosts(String hosts) {
		return Hosts.UNCHECKED;
	}

	/**
	 * Checks the paths a request gives against the operator's roots of the hosts the
	 * operation reaches.
	 */
	default List<Violation> paths(Set<String> hosts, Map<String, Object> vars, List<TaskInput> tasks) {
		return List.of();
	}

	/**
	 * What a check of the hosts found: the problems, and the hosts the operation reaches
	 * when they could be told.
	 */
	record Hosts(List<Violation> violations, Set<String> reached) {

		/** Nothing refused, nothing known of the hosts reached. */
		public static final Hosts UNCHECKED = new Hosts(List.of(), Set.of());

	}

	/**
	 * The hosts cannot be checked now (e.g. the inventory cannot be read); the message
	 * says why, for the client.
	 */
	class HostsUncheckableException extends RuntimeException {

		public HostsUncheckableException(String message, Throwable cause) {
			super(message, cause);
		}

	}

}
