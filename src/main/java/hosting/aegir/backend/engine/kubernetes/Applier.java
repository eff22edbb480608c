package hosting.aegir.backend.engine.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * How an environment's objects reach the cluster. In production: server-side apply with
 * field manager {@code aegir-backend} ({@link ServerSideApplier}). Fabric8's mock server
 * cannot do server-side apply, so the tests configure a create-or-replace applier
 * instead; {@code docs/kubernetes.md} says which path they cover.
 */
interface Applier {

	/**
	 * Makes the cluster hold the desired object; says whether this call created or
	 * changed it.
	 */
	Applied apply(KubernetesClient client, HasMetadata desired);

	/** The object as the cluster holds it afterwards, and what the call did to it. */
	record Applied(HasMetadata object, Change change) {
	}

	/** What an apply did. */
	enum Change {

		CREATED, CHANGED, UNCHANGED

	}

}
