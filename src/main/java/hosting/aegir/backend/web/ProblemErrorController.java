package hosting.aegir.backend.web;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Answers errors raised outside Spring MVC (the container, filters) as problems too,
 * instead of Boot's default JSON or the container's HTML page.
 */
@RestController
@Hidden
class ProblemErrorController implements ErrorController {

	@RequestMapping("/error")
	public ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
		Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
		// Called directly (GET /error), not forwarded by the container with an error:
		// nothing is here.
		HttpStatus status = code == null ? HttpStatus.NOT_FOUND
				: code instanceof Integer value && HttpStatus.resolve(value) != null ? HttpStatus.valueOf(value)
						: HttpStatus.INTERNAL_SERVER_ERROR;
		String detail = status.is5xxServerError() ? "an internal error occurred; it has been logged"
				: status.getReasonPhrase();
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(ProblemTypes.forStatus(status));
		return ResponseEntity.status(status)
			.contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
			.body(problem);
	}

}
