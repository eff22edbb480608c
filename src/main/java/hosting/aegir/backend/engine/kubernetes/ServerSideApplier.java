package hosting.aegir.backend.engine.kubernetes;

import java.util.Objects;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Server-side apply with field manager {@code aegir-backend}, forcing conflicts: the
 * fields this service sets are its own, whoever touched them last. A second apply of the
 * same object leaves its resourceVersion alone, which is how "unchanged" is told from
 * "changed".
 */
class ServerSideApplier implements Applier {

	@Override
	public Applied apply(KubernetesClient client, HasMetadata desired) {
		HasMetadata before = client.resource(desired).get();
		HasMetadata after = client.resource(desired).fieldManager(Names.MANAGER).forceConflicts().serverSideApply();
		Change change = before == null ? Change.CREATED
				: Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion())
						? Change.UNCHANGED : Change.CHANGED;
		return new Applied(after, change);
	}

}
