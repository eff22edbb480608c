package hosting.aegir.backend.config;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import hosting.aegir.backend.web.ProblemTypes;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import org.springdoc.core.customizers.OpenApiCustomizer;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document: API info, the bearer scheme, and the problem responses every
 * endpoint can give, with examples, so that Swagger UI shows the errors as well as the
 * successes.
 */
@Configuration
class OpenApiConfig {

	private static final String PROBLEM = "Problem";

	/**
	 * Every problem type the service sends, with its status and when: the Problem schema
	 * documents them (ProblemTypesDocumentedTest keeps this list and {@link ProblemTypes}
	 * equal).
	 */
	static final Map<URI, String> PROBLEM_TYPES = problemTypes();

	private static Map<URI, String> problemTypes() {
		Map<URI, String> types = new LinkedHashMap<>();
		types.put(ProblemTypes.INVALID_REQUEST,
				"400: malformed JSON, an unknown field, a wrong JSON type, a refused URL");
		types.put(ProblemTypes.VALIDATION_FAILED,
				"400: a field or parameter breaks a constraint (each named in errors)");
		types.put(ProblemTypes.UNAUTHORIZED, "401: no bearer token, or not a valid one");
		types.put(ProblemTypes.FORBIDDEN, "403: the token's role may not do this");
		types.put(ProblemTypes.NOT_FOUND, "404: no such operation, backup or path");
		types.put(ProblemTypes.METHOD_NOT_ALLOWED, "405: the path does not take this method");
		types.put(ProblemTypes.NOT_ACCEPTABLE, "406: the Accept header asks for what the API does not produce");
		types.put(ProblemTypes.IDEMPOTENCY_CONFLICT, "409: an Idempotency-Key reused for another request");
		types.put(ProblemTypes.PAYLOAD_TOO_LARGE, "413: the body is over aegir.api.max-request-body");
		types.put(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, "415: the body is not application/json");
		types.put(ProblemTypes.UNPROCESSABLE, "422: well-formed but not runnable here");
		types.put(ProblemTypes.ENGINE_UNAVAILABLE, "422: the operation's engine is not enabled on this service");
		types.put(ProblemTypes.TASK_INVALID,
				"422: an unknown task, or a variable missing, mistyped or unknown to the task (each named in errors)");
		types.put(ProblemTypes.HOSTS_INVALID,
				"422: hosts is a pattern (all, *, ~regex, !, &, :, ranges) or names no host or group of the inventory");
		types.put(ProblemTypes.CALLBACK_NOT_ALLOWED,
				"422: a callbackUrl whose host is not in aegir.webhooks.allowed-hosts, or with credentials in it");
		types.put(ProblemTypes.INVENTORY_UNAVAILABLE, "503: the operator's inventory could not be read to check hosts");
		types.put(ProblemTypes.DATABASE_UNAVAILABLE, "503: the database cannot be reached; retry after Retry-After");
		types.put(ProblemTypes.STREAM_UNAVAILABLE,
				"503: this replica holds its maximum of event streams, or is shutting down");
		types.put(ProblemTypes.INTERNAL_ERROR, "500: an internal error (logged, never caused by input)");
		return types;
	}

	@Bean
	OpenAPI aegirOpenApi() {
		return new OpenAPI()
			.info(new Info().title("Aegir back-end API")
				.version("v1")
				.description("Runs Operations (ordered Ansible roles or Kubernetes Jobs) for the Aegir front-end, "
						+ "serialised per target, and reports their state, log, task events and outputs. "
						+ "Errors are RFC 9457 problem documents.")
				.contact(new Contact().name("Aegir hosting system").url("https://aegir.hosting"))
				.license(new License().name("GPL-2.0-or-later").identifier("GPL-2.0-or-later")))
			.servers(List.of(new Server().url("/").description("this service")))
			.components(new Components().addSecuritySchemes("bearer",
					new SecurityScheme().type(SecurityScheme.Type.HTTP)
						.scheme("bearer")
						.description("A token of role 'submitter' (front-end) or 'viewer' (operators, monitoring)")))
			.addSecurityItem(new SecurityRequirement().addList("bearer"));
	}

	@Bean
	OpenApiCustomizer problemResponses() {
		return openApi -> {
			// Added here, after springdoc has generated the components, which it would
			// otherwise replace.
			openApi.getComponents().addSchemas(PROBLEM, problemSchema());
			openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
				var responses = op.getResponses();
				// Problems declared by annotations name only the media type: give them
				// the schema.
				responses.values().forEach(response -> {
					MediaType problem = response.getContent() == null ? null
							: response.getContent().get("application/problem+json");
					if (problem != null && problem.getSchema() == null) {
						problem.setSchema(new Schema<>().$ref("#/components/schemas/" + PROBLEM));
					}
				});
				boolean hasBody = op.getRequestBody() != null;
				boolean hasId = path.contains("{id}");
				responses.putIfAbsent("400", problem("Invalid input; the problem names the field or parameter",
						"validation-failed", 400, "tasks[0].name: must be a task name such as aegir.WriteNginxVhost"));
				responses.putIfAbsent("401", problem("No bearer token, or not a valid one", "unauthorized", 401,
						"a bearer token is required"));
				responses.putIfAbsent("403", problem("The token's role may not do this", "forbidden", 403,
						"this token's role may not do this"));
				if (hasId) {
					responses.putIfAbsent("404", problem("No operation with this id", "not-found", 404,
							"no operation with id 7d0f3b8e-2a1c-4c55-9b1e-0f4f7c1a2b3c"));
				}
				if (hasBody) {
					responses.putIfAbsent("422", problem(
							"Well-formed but not runnable here: an unknown task, a variable missing, "
									+ "mistyped or unknown to the task (type task-invalid), or an engine not enabled (engine-unavailable); "
									+ "the problem's errors name each task and variable",
							"task-invalid", 422,
							"tasks[0].vars.site_root: required by task 'aegir.RunDrupalCron' and not given (in the task's vars or the operation's)"));
					responses.putIfAbsent("413", problem("The body is over aegir.api.max-request-body",
							"payload-too-large", 413, "request body is larger than the limit of 1048576 bytes"));
					responses.putIfAbsent("415", problem("The body is not application/json", "unsupported-media-type",
							415, "Content-Type 'text/plain' is not supported."));
				}
				responses.putIfAbsent("500", problem("An internal error (logged, never caused by input)",
						"internal-error", 500, "an internal error occurred; it has been logged"));
			}));
		};
	}

	private static ApiResponse problem(String description, String type, int status, String detail) {
		Example example = new Example()
			.value(Map.of("type", "https://aegir.hosting/problems/" + type, "status", status, "detail", detail));
		return new ApiResponse().description(description)
			.content(new Content().addMediaType("application/problem+json",
					new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))
						.addExamples(type, example)));
	}

	@SuppressWarnings("rawtypes")
	private static Schema problemSchema() {
		return new ObjectSchema().description("RFC 9457 problem details")
			.addProperty("type",
					new StringSchema().format("uri")
						.description("Stable identifier of the kind of error, one of:\n\n" + PROBLEM_TYPES.entrySet()
							.stream()
							.map(type -> "- `" + type.getKey() + "` (" + type.getValue() + ")")
							.collect(Collectors.joining("\n")))
						.examples(PROBLEM_TYPES.keySet().stream().map(URI::toString).toList()))
			.addProperty("title", new StringSchema())
			.addProperty("status", new IntegerSchema())
			.addProperty("detail",
					new StringSchema().description("What is wrong, naming the field when input is at fault"))
			.addProperty("instance", new StringSchema().format("uri"))
			.addProperty("errors",
					new io.swagger.v3.oas.models.media.ArraySchema()
						.items(new ObjectSchema().addProperty("field", new StringSchema())
							.addProperty("message", new StringSchema()))
						.description("Each rejected field or parameter"));
	}

}
