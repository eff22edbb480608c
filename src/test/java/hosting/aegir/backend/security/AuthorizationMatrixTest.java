package hosting.aegir.backend.security;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.PostgresTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may call what, for every endpoint the application maps (its controllers, actuator,
 * the API docs), read from the application's own request mappings: each one is called
 * with no token, a wrong token, the viewer's and the submitter's, and must answer as its
 * rule says. An endpoint that has no rule in {@link #RULES} fails this test, so a new
 * endpoint cannot ship without a decision about who may call it.
 */
@PostgresTest
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.executor.enabled=false")
class AuthorizationMatrixTest {

	/** Who may call an endpoint. */
	enum Access {

		/**
		 * Anyone without a token (a token that is presented must still be valid: a wrong
		 * one is a 401 everywhere).
		 */
		OPEN,
		/** A viewer or a submitter token. */
		READ,
		/** A submitter token only. */
		SUBMIT

	}

	static final Map<String, Access> RULES = Map.ofEntries(Map.entry("POST /api/v1/operations", Access.SUBMIT),
			Map.entry("GET /api/v1/operations", Access.READ), Map.entry("GET /api/v1/operations/{id}", Access.READ),
			Map.entry("GET /api/v1/operations/{id}/log", Access.READ),
			Map.entry("GET /api/v1/operations/{id}/events", Access.READ),
			Map.entry("GET /api/v1/operations/{id}/stream", Access.READ),
			Map.entry("POST /api/v1/operations/{id}/cancel", Access.SUBMIT),
			Map.entry("GET /api/v1/tasks", Access.READ), Map.entry("GET /api/v1/backups", Access.READ),
			Map.entry("GET /api/v1/backups/{id}", Access.READ), Map.entry("GET /actuator", Access.READ),
			Map.entry("GET /actuator/health", Access.OPEN), Map.entry("GET /actuator/health/**", Access.OPEN),
			Map.entry("GET /actuator/info", Access.OPEN), Map.entry("GET /actuator/prometheus", Access.READ),
			Map.entry("GET /error", Access.OPEN), Map.entry("GET /v3/api-docs", Access.OPEN),
			Map.entry("GET /v3/api-docs.yaml", Access.OPEN), Map.entry("GET /v3/api-docs/swagger-config", Access.OPEN),
			Map.entry("GET /swagger-ui.html", Access.OPEN));

	@LocalServerPort
	int port;

	@Autowired
	ApplicationContext context;

	@Test
	void everyMappedEndpointAnswersEachKindOfCallerAsItsRuleSays() {
		Map<String, String> endpoints = endpoints();
		assertThat(new TreeSet<>(endpoints.keySet())).as("every endpoint has a rule, every rule an endpoint")
			.isEqualTo(new TreeSet<>(RULES.keySet()));

		ApiClient api = new ApiClient(port);
		List<String> wrong = new ArrayList<>();
		endpoints.forEach((endpoint, path) -> {
			String method = endpoint.substring(0, endpoint.indexOf(' '));
			Access access = RULES.get(endpoint);
			Map<String, HttpResponse<String>> answers = new TreeMap<>();
			answers.put("no token", call(api, method, path, null));
			answers.put("wrong token", call(api, method, path, "not-a-token-0123456789abcdef"));
			answers.put("viewer", call(api, method, path, VIEWER));
			answers.put("submitter", call(api, method, path, SUBMITTER));
			answers.forEach((caller, response) -> {
				int status = response.statusCode();
				boolean allowed = status != 401 && status != 403;
				// 0: allowed (neither 401 nor 403, nor a 500); "no token" and "wrong
				// token" both end in "token".
				int expected = switch (access) {
					case OPEN -> caller.equals("wrong token") ? 401 : 0;
					case READ -> caller.endsWith("token") ? 401 : 0;
					case SUBMIT -> caller.endsWith("token") ? 401 : caller.equals("viewer") ? 403 : 0;
				};
				if (expected == 0 ? !allowed || status >= 500 : status != expected) {
					wrong.add(endpoint + " as " + caller + ": " + status + " (" + access + ")");
				}
			});
		});
		assertThat(wrong).isEmpty();
	}

	private static HttpResponse<String> call(ApiClient api, String method, String path, String token) {
		return method.equals("GET") ? api.get(path, token) : api.send(method, path, token, "");
	}

	/** "METHOD pattern" of every mapping, with a concrete path to call it on. */
	private Map<String, String> endpoints() {
		Map<String, String> endpoints = new TreeMap<>();
		for (RequestMappingInfoHandlerMapping mapping : context.getBeansOfType(RequestMappingInfoHandlerMapping.class)
			.values()) {
			for (RequestMappingInfo info : mapping.getHandlerMethods().keySet()) {
				var methods = info.getMethodsCondition().getMethods();
				List<String> names = methods.isEmpty() ? List.of("GET")
						: methods.stream().map(RequestMethod::name).toList();
				for (String pattern : info.getPatternValues()) {
					for (String method : names) {
						endpoints.put(method + " " + pattern, concrete(pattern));
					}
				}
			}
		}
		return endpoints;
	}

	private static String concrete(String pattern) {
		return pattern.replace("/**", "/liveness").replaceAll("\\{\\*?[A-Za-z]+}", UUID.randomUUID().toString());
	}

}
