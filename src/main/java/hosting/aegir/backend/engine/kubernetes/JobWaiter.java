package hosting.aegir.backend.engine.kubernetes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import hosting.aegir.backend.engine.ExecutionListener;
import hosting.aegir.backend.engine.ExecutionListener.LogStream;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.URLUtils;

/**
 * Waits for one Job, as the informers report it: completes when the Job succeeds, fails
 * or is deleted, and follows the log of each of its pods (found by the
 * {@code batch.kubernetes.io/job-name} label, since a Job's own log follows only its
 * first pod) into the operation's log from the moment the pod's container has started, so
 * the log is kept whatever later happens to the pod.
 */
class JobWaiter implements ClusterWatch.JobObserver {

	private static final Duration CONNECT_WAIT = Duration.ofSeconds(30);

	private static final Set<String> STARTED = Set.of("Running", "Succeeded", "Failed");

	private final KubernetesClient client;

	private final String namespace;

	private final String name;

	private final ExecutionListener listener;

	private final CompletableFuture<Job> finished = new CompletableFuture<>();

	private final CompletableFuture<Void> deleted = new CompletableFuture<>();

	private final Map<String, Follower> followers = new ConcurrentHashMap<>();

	private volatile String lastProblem;

	JobWaiter(KubernetesClient client, String namespace, String name, ExecutionListener listener) {
		this.client = client;
		this.namespace = namespace;
		this.name = name;
		this.listener = listener;
	}

	CompletableFuture<Job> finished() {
		return finished;
	}

	CompletableFuture<Void> deleted() {
		return deleted;
	}

	String lastProblem() {
		return lastProblem;
	}

	@Override
	public void job(Job job) {
		if (JobState.of(job).finished()) {
			finished.complete(job);
		}
	}

	@Override
	public void jobDeleted() {
		finished.complete(null);
		deleted.complete(null);
	}

	@Override
	public void pod(Pod pod) {
		String problem = PodStatuses.problem(pod);
		if (problem != null) {
			lastProblem = problem;
		}
		if (started(pod)) {
			followers.computeIfAbsent(pod.getMetadata().getName(), this::follow);
		}
	}

	private static boolean started(Pod pod) {
		ContainerState state = PodStatuses.taskState(pod);
		if (state != null && (state.getRunning() != null || state.getTerminated() != null)) {
			return true;
		}
		return pod.getStatus() != null && STARTED.contains(pod.getStatus().getPhase())
				&& (state == null || state.getWaiting() == null);
	}

	private Follower follow(String pod) {
		Follower follower = new Follower(pod);
		follower.thread.start();
		return follower;
	}

	/**
	 * Waits, up to the limit, until every followed pod's log has been read to its end.
	 */
	void awaitLogs(Duration limit) {
		long deadline = System.nanoTime() + limit.toNanos();
		for (Follower follower : followers.values()) {
			try {
				follower.thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
		stopLogs();
	}

	void stopLogs() {
		followers.values().forEach(Follower::stop);
	}

	/** One pod's log, read line by line on its own thread. */
	private final class Follower {

		private final String pod;

		private final Thread thread;

		private volatile InputStream stream;

		private volatile boolean stopped;

		Follower(String pod) {
			this.pod = pod;
			this.thread = new Thread(this::read, "k8s-log-" + pod);
			this.thread.setDaemon(true);
		}

		// The log API is called directly rather than through Fabric8's watchLog, which
		// first waits for
		// the pod to be ready with a watch of its own per pod; the informer has told us
		// it started.
		private void read() {
			listener.log(LogStream.SYSTEM, "following the log of pod " + pod);
			HttpClient http = client.getHttpClient();
			String url = URLUtils.join(client.getMasterUrl().toString(), "api", "v1", "namespaces", namespace, "pods",
					pod, "log") + "?container=" + Names.TASK_CONTAINER + "&follow=true";
			try {
				HttpResponse<InputStream> response = http
					.sendAsync(http.newHttpRequestBuilder().uri(url).build(), InputStream.class)
					.get(CONNECT_WAIT.toSeconds(), TimeUnit.SECONDS);
				if (!response.isSuccessful()) {
					listener.log(LogStream.SYSTEM,
							"the log of pod " + pod + " cannot be read: HTTP " + response.code());
					response.body().close();
					return;
				}
				try (InputStream body = response.body();
						BufferedReader reader = new BufferedReader(
								new InputStreamReader(body, StandardCharsets.UTF_8))) {
					stream = body;
					String line;
					while (!stopped && (line = reader.readLine()) != null) {
						listener.log(LogStream.STDOUT, line);
					}
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (IOException | ExecutionException | TimeoutException | RuntimeException ex) {
				if (!stopped) {
					listener.log(LogStream.SYSTEM,
							"the log of pod " + pod + " could not be read to its end: " + ex.getMessage());
				}
			}
		}

		void stop() {
			stopped = true;
			InputStream current = stream;
			if (current != null) {
				try {
					current.close();
				}
				catch (IOException ex) {
					// Closing is all we wanted.
				}
			}
		}

	}

}
