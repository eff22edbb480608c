package hosting.aegir.backend.web;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat's own error page, for requests refused before they reach the application (a
 * malformed or encoded URL), as a problem document instead of HTML.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		try {
			response.setContentType("application/problem+json");
			String type = ProblemTypes.forStatus(org.springframework.http.HttpStatusCode.valueOf(status)).toString();
			String detail = status >= 500 ? "an internal error occurred" : "the request could not be understood";
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write("{\"type\":\"" + type + "\",\"status\":" + status + ",\"detail\":\"" + detail + "\"}");
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// The client is gone or the response committed: nothing more to say.
		}
	}

}
