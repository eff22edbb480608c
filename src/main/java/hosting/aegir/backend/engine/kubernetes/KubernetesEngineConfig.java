package hosting.aegir.backend.engine.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Kubernetes engine's beans, only when {@code aegir.kubernetes.enabled=true}. The
 * client is configured as Fabric8 resolves it: a kubeconfig ({@code KUBECONFIG},
 * {@code ~/.kube/config}) or, inside a pod, the service account.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "aegir.kubernetes", name = "enabled", havingValue = "true")
class KubernetesEngineConfig {

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	KubernetesClient kubernetesClient() {
		return new KubernetesClientBuilder().build();
	}

	@Bean
	TaskTemplates kubernetesTaskTemplates(KubernetesProperties properties) {
		return TaskTemplates.read(properties.tasks());
	}

	@Bean
	@ConditionalOnMissingBean
	Applier kubernetesApplier() {
		return new ServerSideApplier();
	}

	@Bean(initMethod = "start", destroyMethod = "close")
	ClusterWatch kubernetesClusterWatch(KubernetesClient client, KubernetesProperties properties) {
		return new ClusterWatch(client, properties);
	}

	@Bean
	KubernetesEngine kubernetesEngine(KubernetesClient client, KubernetesProperties properties, TaskTemplates templates,
			ClusterWatch watch, Applier applier, JsonMapper json) {
		return new KubernetesEngine(client, properties, templates, watch, applier, json);
	}

	@Bean("kubernetes")
	KubernetesHealthIndicator kubernetesHealthIndicator(KubernetesClient client, ClusterWatch watch) {
		return new KubernetesHealthIndicator(client, watch);
	}

}
