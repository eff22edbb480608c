package hosting.aegir.backend.engine.kubernetes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The operator's settings for the Kubernetes engine. None of them can be set from a
 * request: a request names a namespace from {@code namespaces} and an image under one of
 * {@code imagePrefixes}, everything else about where and how things run is decided here.
 *
 * @param enabled whether this replica offers the {@code kubernetes} engine (and its
 * catalog); off by default, so the service starts without a cluster
 * @param tasksDirectory the task templates, one folder per task with
 * {@code argument_specs.yml} beside its template
 * @param namespaces the namespaces operations may use (an operation's {@code hosts})
 * @param imagePrefixes the registries or repositories site images may come from, e.g.
 * {@code registry.example.org/sites/}
 * @param storageClass the storage class of the PVCs environments get (unset: the
 * cluster's default)
 * @param ingressClass the ingress class of environments' Ingresses (unset: the cluster's
 * default)
 * @param issuer the cert-manager issuer named in environments' Ingresses (unset: no TLS)
 * @param issuerKind {@code cluster-issuer} or {@code issuer}: which cert-manager
 * annotation names it
 * @param databaseImage the stock MariaDB image environments run
 * @param backupClaim the PVC backups are written to, in each namespace
 * @param filesSize the size of a new environment's files PVC
 * @param databaseSize the size of a new environment's database PVC
 * @param runAsUser the non-root user id Jobs and Deployments run as (also their fsGroup)
 * @param resources requests and limits of every container the engine creates
 * @param jobTtl how long a finished Job (and its pods) stays in the cluster
 * @param resync how often the informers re-list what they watch
 */
@ConfigurationProperties("aegir.kubernetes")
public record KubernetesProperties(@DefaultValue("false") boolean enabled,
		@DefaultValue("k8s/tasks") Path tasksDirectory, @DefaultValue List<String> namespaces,
		@DefaultValue List<String> imagePrefixes, String storageClass, String ingressClass, String issuer,
		@DefaultValue("cluster-issuer") String issuerKind, @DefaultValue("mariadb:11.4") String databaseImage,
		@DefaultValue("aegir-backups") String backupClaim, @DefaultValue("10Gi") String filesSize,
		@DefaultValue("5Gi") String databaseSize, @DefaultValue("33") long runAsUser, @DefaultValue Resources resources,
		@DefaultValue("1h") Duration jobTtl, @DefaultValue("10m") Duration resync) {

	/**
	 * Container requests and limits, in Kubernetes quantities.
	 *
	 * @param cpuRequest CPU requested
	 * @param memoryRequest memory requested
	 * @param cpuLimit CPU limit
	 * @param memoryLimit memory limit
	 */
	public record Resources(@DefaultValue("100m") String cpuRequest, @DefaultValue("256Mi") String memoryRequest,
			@DefaultValue("1") String cpuLimit, @DefaultValue("1Gi") String memoryLimit) {
	}

	public Path tasks() {
		return tasksDirectory.toAbsolutePath();
	}

}
