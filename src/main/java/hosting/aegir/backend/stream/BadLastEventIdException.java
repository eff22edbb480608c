package hosting.aegir.backend.stream;

import java.util.List;

import hosting.aegir.backend.web.InvalidField;
import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A {@code Last-Event-ID} that is not a position of this stream: 400, naming the header.
 */
class BadLastEventIdException extends ErrorResponseException {

	private static final String MESSAGE = "must be an event id of this stream, such as 42-3";

	BadLastEventIdException() {
		super(HttpStatus.BAD_REQUEST, problem(), null);
	}

	private static ProblemDetail problem() {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "Last-Event-ID: " + MESSAGE);
		problem.setType(ProblemTypes.VALIDATION_FAILED);
		problem.setProperty("errors", List.of(new InvalidField("Last-Event-ID", MESSAGE)));
		return problem;
	}

}
