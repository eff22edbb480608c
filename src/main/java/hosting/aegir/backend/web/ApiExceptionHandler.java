package hosting.aegir.backend.web;

import java.util.ArrayList;
import java.util.List;

import hosting.aegir.backend.web.RequestBodyLimitFilter.PayloadTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JacksonException.Reference;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

import org.springframework.context.MessageSourceResolvable;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.lang.Nullable;
import org.springframework.validation.FieldError;
import org.springframework.validation.method.ParameterErrors;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every error into an RFC 9457 problem with a stable type and, for bad input, the
 * field or parameter at fault. Nothing a client sends may produce a 500; an unexpected
 * exception is logged and answered without its internals.
 * <p>
 * Only what no feature owns is decided here: bean validation, unreadable bodies, type
 * mismatches, a lost database and the catch-all. A feature's own errors are
 * {@link org.springframework.web.ErrorResponse} exceptions in its package, carrying their
 * status, type and properties; the base class renders them.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

	private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

	// Spring MVC validates handler parameters itself; this covers validation anywhere
	// else.
	@ExceptionHandler(jakarta.validation.ConstraintViolationException.class)
	ProblemDetail constraintViolation(jakarta.validation.ConstraintViolationException ex) {
		List<InvalidField> errors = ex.getConstraintViolations().stream().map(v -> {
			String path = v.getPropertyPath().toString();
			return new InvalidField(path.substring(path.lastIndexOf('.') + 1), v.getMessage());
		}).toList();
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION_FAILED,
				errors.stream()
					.map(e -> e.field() + ": " + e.message())
					.sorted()
					.reduce((a, b) -> a + "; " + b)
					.orElse("invalid request"));
		problem.setProperty("errors", errors);
		return problem;
	}

	// The database is unreachable or its pool exhausted: the request was not accepted and
	// may be
	// retried as it is, which is what a 503 with Retry-After says (a 500 would say "our
	// bug").
	@ExceptionHandler({ DataAccessResourceFailureException.class, TransientDataAccessException.class,
			CannotCreateTransactionException.class })
	ResponseEntity<ProblemDetail> databaseUnavailable(Exception ex) {
		return unavailable(ex);
	}

	private static ResponseEntity<ProblemDetail> unavailable(Exception ex) {
		log.warn("Database unavailable while serving a request: {}", ex.getMessage());
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
			.header(HttpHeaders.RETRY_AFTER, "5")
			.contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON)
			.body(problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.DATABASE_UNAVAILABLE,
					"the database is unavailable; retry later (a submit retried with its Idempotency-Key is safe)"));
	}

	@ExceptionHandler(Exception.class)
	ResponseEntity<ProblemDetail> unexpected(Exception ex) {
		if (lostTheDatabase(ex)) {
			return unavailable(ex);
		}
		log.error("Unexpected error while serving a request", ex);
		return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
			.body(problem(HttpStatus.INTERNAL_SERVER_ERROR, ProblemTypes.INTERNAL_ERROR,
					"an internal error occurred; it has been logged"));
	}

	// A lost connection surfaces in many wrappers; what counts is a connection-class SQL
	// error
	// (SQLState 08...) or a connection exception anywhere in the chain. When the
	// connection broke
	// mid-transaction, the rollback fails too and replaces the first error: Hikari has by
	// then closed
	// the broken connection, and its "Connection is closed" (which carries no SQLState)
	// is all that is left.
	private static boolean lostTheDatabase(Throwable ex) {
		for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
			if (t instanceof java.sql.SQLTransientConnectionException
					|| t instanceof java.sql.SQLNonTransientConnectionException
					|| t instanceof DataAccessResourceFailureException || t instanceof CannotCreateTransactionException
					|| (t instanceof java.sql.SQLException sql
							&& ((sql.getSQLState() != null && sql.getSQLState().startsWith("08"))
									|| "Connection is closed".equals(sql.getMessage())))) {
				return true;
			}
		}
		return false;
	}

	@Override
	protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		List<InvalidField> errors = new ArrayList<>();
		for (FieldError error : ex.getBindingResult().getFieldErrors()) {
			errors.add(new InvalidField(error.getField(), error.getDefaultMessage()));
		}
		ex.getBindingResult()
			.getGlobalErrors()
			.forEach(e -> errors.add(new InvalidField(e.getObjectName(), e.getDefaultMessage())));
		return validationFailed(errors, headers, request, ex);
	}

	@Override
	protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		List<InvalidField> errors = new ArrayList<>();
		ex.getParameterValidationResults().forEach(result -> {
			if (result instanceof ParameterErrors body) {
				// A @Valid body validated together with other parameters: name its
				// fields.
				body.getFieldErrors().forEach(e -> errors.add(new InvalidField(e.getField(), e.getDefaultMessage())));
				return;
			}
			String name = parameterName(result.getMethodParameter());
			for (MessageSourceResolvable error : result.getResolvableErrors()) {
				errors.add(new InvalidField(name, error.getDefaultMessage()));
			}
		});
		return validationFailed(errors, headers, request, ex);
	}

	private static String parameterName(org.springframework.core.MethodParameter parameter) {
		var header = parameter.getParameterAnnotation(org.springframework.web.bind.annotation.RequestHeader.class);
		if (header != null) {
			return header.name();
		}
		var param = parameter.getParameterAnnotation(org.springframework.web.bind.annotation.RequestParam.class);
		if (param != null && !param.name().isEmpty()) {
			return param.name();
		}
		return parameter.getParameterName();
	}

	private ResponseEntity<Object> validationFailed(List<InvalidField> errors, HttpHeaders headers, WebRequest request,
			Exception ex) {
		String detail = errors.isEmpty() ? "the request is invalid"
				: errors.stream()
					.map(e -> e.field() + ": " + e.message())
					.sorted()
					.reduce((a, b) -> a + "; " + b)
					.get();
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION_FAILED, detail);
		// Sorted like the detail, so the same mistake always reads the same.
		problem.setProperty("errors",
				errors.stream()
					.sorted(java.util.Comparator.comparing(InvalidField::field).thenComparing(InvalidField::message))
					.toList());
		return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
	}

	@Override
	protected ResponseEntity<Object> handleTypeMismatch(org.springframework.beans.TypeMismatchException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		String name = ex instanceof MethodArgumentTypeMismatchException mismatch ? mismatch.getName()
				: ex.getPropertyName();
		String expected = ex.getRequiredType() == null ? "another type" : describe(ex.getRequiredType());
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION_FAILED,
				name + ": must be " + expected);
		problem.setProperty("errors", List.of(new InvalidField(name, "must be " + expected)));
		return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		if (causedBy(ex, PayloadTooLargeException.class) != null) {
			ProblemDetail problem = problem(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.PAYLOAD_TOO_LARGE,
					causedBy(ex, PayloadTooLargeException.class).getMessage());
			return handleExceptionInternal(ex, problem, headers, HttpStatus.CONTENT_TOO_LARGE, request);
		}
		InvalidField error = unreadable(ex);
		String detail = error.field() == null ? error.message() : error.field() + ": " + error.message();
		ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_REQUEST, detail);
		if (error.field() != null) {
			problem.setProperty("errors", List.of(error));
		}
		return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, request);
	}

	// Where the body went wrong (null when it is not one field's fault) and what is wrong
	// there.
	private static InvalidField unreadable(HttpMessageNotReadableException ex) {
		JacksonException json = causedBy(ex, JacksonException.class);
		if (json == null) {
			return new InvalidField(null,
					ex.getMessage() != null && ex.getMessage().startsWith("Required request body is missing")
							? "a JSON request body is required" : "the request body could not be read");
		}
		String where = json.getPath().isEmpty() ? null : path(json.getPath());
		if (json instanceof UnrecognizedPropertyException) {
			return new InvalidField(where, "unknown field");
		}
		if (json instanceof InvalidFormatException invalid && where != null) {
			return new InvalidField(where, "must be " + describe(invalid.getTargetType()));
		}
		if (json instanceof MismatchedInputException mismatched) {
			return where == null ? new InvalidField(null, "the body must be a JSON object")
					: new InvalidField(where, "must be " + describe(mismatched.getTargetType()));
		}
		return new InvalidField(null, "malformed JSON: " + clip(json.getOriginalMessage()));
	}

	private static String path(List<Reference> references) {
		StringBuilder path = new StringBuilder();
		for (Reference ref : references) {
			if (ref.getPropertyName() != null) {
				if (!path.isEmpty()) {
					path.append('.');
				}
				path.append(clip(ref.getPropertyName()));
			}
			else if (ref.getIndex() >= 0) {
				path.append('[').append(ref.getIndex()).append(']');
			}
		}
		return path.toString();
	}

	private static String describe(@Nullable Class<?> type) {
		if (type == null) {
			return "of another type";
		}
		if (type == String.class) {
			return "a string";
		}
		if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
			return "an integer";
		}
		if (type == Boolean.class || type == boolean.class) {
			return "true or false";
		}
		if (type == java.util.UUID.class) {
			return "a UUID";
		}
		if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
			return "a JSON object";
		}
		if (java.util.Collection.class.isAssignableFrom(type)) {
			return "a JSON array";
		}
		if (type.isEnum()) {
			return "one of " + java.util.Arrays.toString(type.getEnumConstants());
		}
		return "a " + type.getSimpleName();
	}

	// Client-supplied text echoed in a problem stays short.
	private static String clip(String text) {
		if (text == null) {
			return "";
		}
		return text.length() > 200 ? text.substring(0, 200) + "…" : text;
	}

	@Nullable
	private static <T extends Throwable> T causedBy(Throwable ex, Class<T> type) {
		for (Throwable t = ex; t != null; t = t.getCause()) {
			if (type.isInstance(t)) {
				return type.cast(t);
			}
			if (t.getCause() == t) {
				break;
			}
		}
		return null;
	}

	@Override
	protected ResponseEntity<Object> handleExceptionInternal(Exception ex, @Nullable Object body, HttpHeaders headers,
			HttpStatusCode statusCode, WebRequest request) {
		// Every problem gets a stable type, including those the base class builds.
		ResponseEntity<Object> response = super.handleExceptionInternal(ex, body, headers, statusCode, request);
		if (response != null && response.getBody() instanceof ProblemDetail problem
				&& (problem.getType() == null || "about:blank".equals(problem.getType().toString()))) {
			problem.setType(ProblemTypes.forStatus(statusCode));
		}
		return response;
	}

	private static ProblemDetail problem(HttpStatus status, java.net.URI type, String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setType(type);
		return problem;
	}

}
