package hosting.aegir.backend.web;

import java.io.IOException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;

/**
 * Writes a problem straight to the servlet response, for filters that answer before
 * Spring MVC does.
 */
@Component
public class ProblemWriter {

	private final JsonMapper json;

	public ProblemWriter(JsonMapper json) {
		this.json = json;
	}

	public void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String detail)
			throws IOException {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(ProblemTypes.forStatus(status));
		problem.setInstance(java.net.URI.create(safePath(request)));
		response.setStatus(status.value());
		response.setContentType("application/problem+json");
		json.writeValue(response.getOutputStream(), problem);
	}

	static String safePath(HttpServletRequest request) {
		String path = request.getRequestURI();
		try {
			return java.net.URI.create(path).toString();
		}
		catch (IllegalArgumentException ex) {
			return "/";
		}
	}

}
