package hosting.aegir.backend.web;

import java.net.URI;
import java.util.List;

/** A well-formed request that cannot be accepted: unknown task, wrong variables, engine not enabled here. */
public class UnprocessableOperationException extends RuntimeException {

	private final URI type;

	private final List<FieldError> errors;

	public UnprocessableOperationException(URI type, String detail, List<FieldError> errors) {
		super(detail);
		this.type = type;
		this.errors = List.copyOf(errors);
	}

	public URI type() {
		return type;
	}

	public List<FieldError> errors() {
		return errors;
	}

}
