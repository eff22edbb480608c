package hosting.aegir.backend.operation;

import java.util.UUID;

/** No operation has this id. */
public class OperationNotFoundException extends RuntimeException {

	public OperationNotFoundException(UUID id) {
		super("no operation with id " + id);
	}

}
