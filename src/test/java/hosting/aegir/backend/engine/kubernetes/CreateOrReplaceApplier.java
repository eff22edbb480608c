package hosting.aegir.backend.engine.kubernetes;

import java.util.Map;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The applier the tests configure, because Fabric8's mock server cannot do server-side
 * apply: create when absent, replace when any field the desired object sets differs, and
 * leave the object alone otherwise — the outcome server-side apply has for a sole field
 * manager.
 */
class CreateOrReplaceApplier implements Applier {

	private final KubernetesSerialization serialization = new KubernetesSerialization();

	@Override
	public Applied apply(KubernetesClient client, HasMetadata desired) {
		HasMetadata existing = client.resource(desired).get();
		if (existing == null) {
			return new Applied(client.resource(desired).create(), Change.CREATED);
		}
		if (contains(tree(existing), tree(desired))) {
			return new Applied(existing, Change.UNCHANGED);
		}
		desired.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
		return new Applied(client.resource(desired).update(), Change.CHANGED);
	}

	private Object tree(HasMetadata object) {
		return serialization.unmarshal(serialization.asJson(object), Object.class);
	}

	// Whether every field set in 'desired' has the same value in 'actual' (lists compared
	// whole).
	private static boolean contains(Object actual, Object desired) {
		if (desired instanceof Map<?, ?> wanted) {
			if (!(actual instanceof Map<?, ?> have)) {
				return false;
			}
			return wanted.entrySet().stream().allMatch(e -> contains(have.get(e.getKey()), e.getValue()));
		}
		if (desired instanceof java.util.List<?> wanted) {
			if (!(actual instanceof java.util.List<?> have) || have.size() != wanted.size()) {
				return false;
			}
			for (int i = 0; i < wanted.size(); i++) {
				if (!contains(have.get(i), wanted.get(i))) {
					return false;
				}
			}
			return true;
		}
		return java.util.Objects.equals(actual, desired);
	}

}
