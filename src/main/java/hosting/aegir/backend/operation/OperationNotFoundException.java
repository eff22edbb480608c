package hosting.aegir.backend.operation;

import java.util.UUID;

import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * No operation has this id: a 404 problem. Public because the webhook dispatcher, reading
 * an operation whose delivery is due, meets it when the operation was deleted meanwhile.
 */
public class OperationNotFoundException extends ErrorResponseException {

	public OperationNotFoundException(UUID id) {
		super(HttpStatus.NOT_FOUND, problem(id), null);
	}

	private static ProblemDetail problem(UUID id) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "no operation with id " + id);
		problem.setType(ProblemTypes.NOT_FOUND);
		return problem;
	}

	// The detail, as before this became a problem, rather than ErrorResponseException's
	// status and body dump.
	@Override
	public String getMessage() {
		return getBody().getDetail();
	}

}
