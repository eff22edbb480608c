package hosting.aegir.backend.backup;

import hosting.aegir.backend.web.ProblemTypes;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/** No backup has this id: a 404 problem. */
class BackupNotFoundException extends ErrorResponseException {

	BackupNotFoundException(long id) {
		super(HttpStatus.NOT_FOUND, problem(id), null);
	}

	private static ProblemDetail problem(long id) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "no backup with id " + id);
		problem.setType(ProblemTypes.NOT_FOUND);
		return problem;
	}

}
