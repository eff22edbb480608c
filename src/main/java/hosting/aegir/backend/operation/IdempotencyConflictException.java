package hosting.aegir.backend.operation;

import java.util.UUID;

import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * An Idempotency-Key was reused with a different request: a 409 problem naming the
 * operation it was used for.
 */
class IdempotencyConflictException extends ErrorResponseException {

	IdempotencyConflictException(UUID existing) {
		super(HttpStatus.CONFLICT, problem(existing), null);
	}

	private static ProblemDetail problem(UUID existing) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
				"the Idempotency-Key was already used for operation " + existing + " with a different request");
		problem.setType(ProblemTypes.IDEMPOTENCY_CONFLICT);
		problem.setProperty("operationId", existing);
		return problem;
	}

	@Override
	public String getMessage() {
		return getBody().getDetail();
	}

}
