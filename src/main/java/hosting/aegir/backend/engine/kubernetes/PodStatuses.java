package hosting.aegir.backend.engine.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a task's pods say: why one failed, its exit code, the outputs in its termination
 * message.
 */
final class PodStatuses {

	/** Kubernetes keeps at most this much of a termination message. */
	static final int MAX_MESSAGE_BYTES = 4096;

	// Waiting reasons that mean the container will not start without someone changing
	// something.
	private static final Set<String> STUCK = Set.of("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
			"CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff", "ErrImageNeverPull");

	private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
	};

	private PodStatuses() {
	}

	/** The task container's state in the pod, or null. */
	static ContainerState taskState(Pod pod) {
		if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
			return null;
		}
		return pod.getStatus()
			.getContainerStatuses()
			.stream()
			.filter(s -> Names.TASK_CONTAINER.equals(s.getName()))
			.map(ContainerStatus::getState)
			.findFirst()
			.orElse(null);
	}

	/**
	 * Why this pod is failing or failed, as the kubelet put it (e.g. ImagePullBackOff,
	 * OOMKilled), or null.
	 */
	static String problem(Pod pod) {
		String name = pod.getMetadata().getName();
		ContainerState state = taskState(pod);
		if (state != null && state.getTerminated() != null && nonZero(state.getTerminated().getExitCode())) {
			var terminated = state.getTerminated();
			return "pod " + name + ": " + (terminated.getReason() == null ? "Error" : terminated.getReason())
					+ " (exit code " + terminated.getExitCode() + ")"
					+ (terminated.getMessage() == null ? "" : ": " + terminated.getMessage());
		}
		if (state != null && state.getWaiting() != null && STUCK.contains(state.getWaiting().getReason())) {
			return "pod " + name + ": " + state.getWaiting().getReason()
					+ (state.getWaiting().getMessage() == null ? "" : ": " + state.getWaiting().getMessage());
		}
		if (pod.getStatus() != null && pod.getStatus().getReason() != null) {
			return "pod " + name + ": " + pod.getStatus().getReason()
					+ (pod.getStatus().getMessage() == null ? "" : ": " + pod.getStatus().getMessage());
		}
		return null;
	}

	static String problem(List<Pod> pods) {
		return pods.stream().map(PodStatuses::problem).filter(p -> p != null).reduce((a, b) -> b).orElse(null);
	}

	static Integer exitCode(List<Pod> pods) {
		return pods.stream()
			.map(PodStatuses::taskState)
			.filter(s -> s != null && s.getTerminated() != null)
			.map(s -> s.getTerminated().getExitCode())
			.reduce((a, b) -> b)
			.orElse(null);
	}

	/**
	 * The JSON object in the termination message of the pod that succeeded; empty when
	 * there is none.
	 */
	static Map<String, Object> outputs(List<Pod> pods, JsonMapper json, ExecutionListener listener) {
		for (Pod pod : pods) {
			ContainerState state = taskState(pod);
			if (state == null || state.getTerminated() == null || nonZero(state.getTerminated().getExitCode())) {
				continue;
			}
			String message = state.getTerminated().getMessage();
			if (message == null || message.isBlank()) {
				return Map.of();
			}
			if (message.getBytes(StandardCharsets.UTF_8).length > MAX_MESSAGE_BYTES
					|| !message.strip().startsWith("{")) {
				listener.log(LogStream.SYSTEM, "the termination message of pod " + pod.getMetadata().getName()
						+ " is not a JSON object of at most 4 KiB: no outputs taken from it");
				return Map.of();
			}
			try {
				return new LinkedHashMap<>(json.readValue(message, MAP));
			}
			catch (RuntimeException ex) {
				listener.log(LogStream.SYSTEM, "the termination message of pod " + pod.getMetadata().getName()
						+ " is not valid JSON: no outputs taken from it");
				return Map.of();
			}
		}
		return Map.of();
	}

	private static boolean nonZero(Integer exitCode) {
		return exitCode != null && exitCode != 0;
	}

}
