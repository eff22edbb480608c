package hosting.aegir.backend.operation;

import java.util.Optional;
import java.util.UUID;

/**
 * Where an operation's webhook delivery stands, for its view (the webhook feature
 * implements it).
 */
public interface CallbackDeliveries {

	Optional<CallbackDelivery> of(UUID operationId);

}
