package hosting.aegir.backend.engine.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * Points the Kubernetes engine at a {@link MockCluster} and applies by create-or-replace,
 * which the mock supports.
 */
@TestConfiguration(proxyBeanMethods = false)
public class MockClusterConfig {

	// A test running several service instances on one cluster registers it before this
	// runs.
	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	MockCluster mockCluster() {
		return new MockCluster();
	}

	@Bean(destroyMethod = "close")
	@Primary
	KubernetesClient mockClusterClient(MockCluster cluster) {
		return cluster.newClient();
	}

	@Bean
	@Primary
	Applier createOrReplaceApplier() {
		return new CreateOrReplaceApplier();
	}

}
