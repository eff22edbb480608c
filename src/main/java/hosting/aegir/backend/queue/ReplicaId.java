package hosting.aegir.backend.queue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

import org.springframework.stereotype.Component;

/**
 * This replica's name in {@code claimed_by}: {@code aegir.executor.replica-id} if set (a
 * pod name, say), else host name, process id and a random suffix, so that a restarted
 * process never mistakes its predecessor's leases for its own.
 */
@Component
public class ReplicaId {

	private final String value;

	public ReplicaId(ExecutorProperties properties) {
		String configured = properties.replicaId();
		this.value = configured != null && !configured.isBlank() ? configured
				: host() + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 6);
	}

	private static String host() {
		String env = System.getenv("HOSTNAME");
		if (env != null && !env.isBlank()) {
			return env;
		}
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "replica";
		}
	}

	public String value() {
		return value;
	}

	@Override
	public String toString() {
		return value;
	}

}
