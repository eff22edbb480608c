package hosting.aegir.backend.stream;

import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A stream this replica cannot hold now (at its limit, or shutting down): 503, try again
 * shortly.
 */
class StreamLimitException extends ErrorResponseException {

	StreamLimitException(String detail) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(detail), null);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
	}

	private static ProblemDetail problem(String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, detail);
		problem.setType(ProblemTypes.STREAM_UNAVAILABLE);
		return problem;
	}

}
