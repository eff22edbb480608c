package hosting.aegir.backend.stream;

import java.net.URI;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** A stream this replica cannot hold now (at its limit, or shutting down): 503, try again shortly. */
class StreamLimitException extends ErrorResponseException {

	static final URI TYPE = URI.create("https://aegir.hosting/problems/stream-unavailable");

	StreamLimitException(String detail) {
		super(HttpStatus.SERVICE_UNAVAILABLE, problem(detail), null);
		getHeaders().set(HttpHeaders.RETRY_AFTER, "5");
	}

	private static ProblemDetail problem(String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, detail);
		problem.setType(TYPE);
		return problem;
	}

}
