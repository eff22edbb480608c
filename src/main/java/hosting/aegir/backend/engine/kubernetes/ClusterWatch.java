package hosting.aegir.backend.engine.kubernetes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One set of shared informers for what the service manages (objects labelled
 * {@code app.kubernetes.io/managed-by=aegir-backend}): Jobs, their pods and environments'
 * Deployments, in each allowed namespace. Informers list, then watch, and list again
 * after a 410 or a dropped watch; runs subscribe to the objects they wait for instead of
 * polling. An informer that stops for good is noticed (it makes readiness DOWN) and
 * replaced after a pause.
 */
class ClusterWatch implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(ClusterWatch.class);

	static final Duration RESTART_DELAY = Duration.ofSeconds(5);

	/**
	 * What a run waiting for a Job hears about it. Called on informer threads: must not
	 * block.
	 */
	interface JobObserver {

		void job(Job job);

		void pod(Pod pod);

		void jobDeleted();

	}

	private final KubernetesClient client;

	private final KubernetesProperties properties;

	private final List<Slot<?>> slots = new ArrayList<>();

	private final Map<String, List<JobObserver>> jobObservers = new ConcurrentHashMap<>();

	private final Map<String, List<java.util.function.Consumer<Deployment>>> deploymentObservers = new ConcurrentHashMap<>();

	private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(r -> {
		Thread thread = new Thread(r, "k8s-informer-restart");
		thread.setDaemon(true);
		return thread;
	});

	private volatile boolean closed;

	ClusterWatch(KubernetesClient client, KubernetesProperties properties) {
		this.client = client;
		this.properties = properties;
	}

	/**
	 * Starts the informers and returns at once: the service starts even when the cluster
	 * is down.
	 */
	void start() {
		for (String namespace : properties.namespaces()) {
			slots.add(new Slot<>("Job", namespace,
					ns -> client.batch()
						.v1()
						.jobs()
						.inNamespace(ns)
						.withLabel(Names.MANAGED_BY, Names.MANAGER)
						.runnableInformer(properties.resync().toMillis()),
					handler(this::jobEvent, this::jobDeleted)));
			slots.add(new Slot<>("Pod", namespace,
					ns -> client.pods()
						.inNamespace(ns)
						.withLabel(Names.MANAGED_BY, Names.MANAGER)
						.runnableInformer(properties.resync().toMillis()),
					handler(this::podEvent, pod -> podEvent(pod))));
			slots.add(new Slot<>("Deployment", namespace,
					ns -> client.apps()
						.deployments()
						.inNamespace(ns)
						.withLabel(Names.MANAGED_BY, Names.MANAGER)
						.runnableInformer(properties.resync().toMillis()),
					handler(this::deploymentEvent, d -> {
					})));
		}
		slots.forEach(Slot::start);
	}

	/** Why the watch is not to be trusted now, if it is not. */
	Optional<String> problem() {
		for (Slot<?> slot : slots) {
			if (!slot.watching()) {
				return Optional.of("the " + slot.kind + " informer of namespace " + slot.namespace + " is not watching"
						+ (slot.lastError == null ? "" : ": " + slot.lastError));
			}
		}
		return Optional.empty();
	}

	/** Hears about the Job and its pods until the returned handle is closed. */
	AutoCloseable observeJob(String namespace, String name, JobObserver observer) {
		String key = namespace + "/" + name;
		jobObservers.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(observer);
		return () -> jobObservers.computeIfPresent(key, (k, list) -> {
			list.remove(observer);
			return list.isEmpty() ? null : list;
		});
	}

	AutoCloseable observeDeployment(String namespace, String name, java.util.function.Consumer<Deployment> observer) {
		String key = namespace + "/" + name;
		deploymentObservers.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(observer);
		return () -> deploymentObservers.computeIfPresent(key, (k, list) -> {
			list.remove(observer);
			return list.isEmpty() ? null : list;
		});
	}

	private void jobEvent(Job job) {
		jobObservers.getOrDefault(key(job), List.of()).forEach(o -> o.job(job));
	}

	private void jobDeleted(Job job) {
		jobObservers.getOrDefault(key(job), List.of()).forEach(JobObserver::jobDeleted);
	}

	private void podEvent(Pod pod) {
		Map<String, String> labels = pod.getMetadata().getLabels();
		String job = labels == null ? null : labels.getOrDefault(Names.JOB_NAME, labels.get("job-name"));
		if (job != null) {
			jobObservers.getOrDefault(pod.getMetadata().getNamespace() + "/" + job, List.of()).forEach(o -> o.pod(pod));
		}
	}

	private void deploymentEvent(Deployment deployment) {
		deploymentObservers.getOrDefault(key(deployment), List.of()).forEach(o -> o.accept(deployment));
	}

	private static String key(HasMetadata object) {
		return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
	}

	private static <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> changed,
			java.util.function.Consumer<T> deleted) {
		return new ResourceEventHandler<>() {
			@Override
			public void onAdd(T object) {
				changed.accept(object);
			}

			@Override
			public void onUpdate(T before, T after) {
				changed.accept(after);
			}

			@Override
			public void onDelete(T object, boolean finalStateUnknown) {
				deleted.accept(object);
			}
		};
	}

	@Override
	public void close() {
		closed = true;
		restarts.shutdownNow();
		slots.forEach(Slot::stop);
	}

	/** One informer of one kind in one namespace, replaced when it stops for good. */
	private final class Slot<T extends HasMetadata> {

		final String kind;

		final String namespace;

		private final Function<String, SharedIndexInformer<T>> factory;

		private final ResourceEventHandler<T> handler;

		private volatile SharedIndexInformer<T> informer;

		volatile String lastError;

		Slot(String kind, String namespace, Function<String, SharedIndexInformer<T>> factory,
				ResourceEventHandler<T> handler) {
			this.kind = kind;
			this.namespace = namespace;
			this.factory = factory;
			this.handler = handler;
		}

		void start() {
			if (closed) {
				return;
			}
			SharedIndexInformer<T> created = factory.apply(namespace);
			created.addEventHandler(handler);
			// Keep retrying (with Fabric8's backoff) whatever goes wrong; remember it for
			// readiness.
			created.exceptionHandler((started, error) -> {
				lastError = error.getClass().getSimpleName() + ": " + error.getMessage();
				log.debug("{} informer of {}: {}", kind, namespace, lastError);
				return true;
			});
			informer = created;
			created.start().whenComplete((ignored, error) -> {
				if (error == null) {
					lastError = null;
				}
			});
			created.stopped().whenComplete((ignored, error) -> {
				if (closed) {
					return;
				}
				lastError = "stopped" + (error == null ? "" : ": " + error.getMessage());
				log.warn("The {} informer of namespace {} stopped ({}); restarting it in {} s", kind, namespace,
						lastError, RESTART_DELAY.toSeconds());
				restarts.schedule(this::start, RESTART_DELAY.toMillis(), TimeUnit.MILLISECONDS);
			});
		}

		boolean watching() {
			SharedIndexInformer<T> current = informer;
			return current != null && current.isRunning() && current.isWatching();
		}

		void stop() {
			SharedIndexInformer<T> current = informer;
			if (current != null) {
				current.stop();
			}
		}

	}

}
