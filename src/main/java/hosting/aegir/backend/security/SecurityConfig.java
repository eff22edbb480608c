package hosting.aegir.backend.security;

import hosting.aegir.backend.web.ProblemWriter;
import jakarta.servlet.DispatcherType;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Who may call what: health, info and the API docs are open; reading needs a viewer or
 * submitter token; submitting and cancelling need a submitter token. Every refusal is a
 * problem document.
 */
@Configuration
public class SecurityConfig {

	@Bean
	SecurityFilterChain apiSecurity(HttpSecurity http, TokenProperties tokens, ProblemWriter problems)
			throws Exception {
		http.csrf(csrf -> csrf.disable())
			.httpBasic(basic -> basic.disable())
			.formLogin(form -> form.disable())
			.logout(logout -> logout.disable())
			.requestCache(cache -> cache.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.addFilterBefore(new BearerTokenFilter(tokens, problems), AuthorizationFilter.class)
			.authorizeHttpRequests(auth -> auth
				// The async dispatch that ends a stream belongs to a request authorised
				// when it began.
				.dispatcherTypeMatchers(DispatcherType.ASYNC)
				.permitAll()
				.requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info")
				.permitAll()
				.requestMatchers("/swagger-ui.html", "/swagger-ui/**", "/v3/api-docs", "/v3/api-docs/**",
						"/v3/api-docs.yaml")
				.permitAll()
				.requestMatchers("/error")
				.permitAll()
				.requestMatchers(HttpMethod.POST, "/api/v1/**")
				.hasRole("SUBMITTER")
				.requestMatchers(HttpMethod.GET, "/api/v1/**", "/actuator/**")
				.hasAnyRole("SUBMITTER", "VIEWER")
				.requestMatchers("/api/v1/**")
				.hasRole("SUBMITTER")
				.anyRequest()
				.denyAll())
			.exceptionHandling(errors -> errors.authenticationEntryPoint((request, response, ex) -> {
				response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
				problems.write(request, response, HttpStatus.UNAUTHORIZED, "a bearer token is required");
			})
				.accessDeniedHandler((request, response, ex) -> problems.write(request, response, HttpStatus.FORBIDDEN,
						"this token's role may not do this")));
		return http.build();
	}

	/**
	 * No Micrometer observation around each security filter, authentication and
	 * authorization: on the API's hottest paths (submit, poll) they cost more than the
	 * filters themselves, and tell nothing the {@code http.server.requests} metrics and
	 * traces of the whole request (which stay) do not.
	 */
	@Bean
	SecurityObservationSettings securityObservationSettings() {
		return SecurityObservationSettings.noObservations();
	}

	/**
	 * URLs the firewall refuses (encoded slashes, "..", ";") get a 400 problem, not an
	 * empty page.
	 */
	@Bean
	RequestRejectedHandler requestRejectedHandler(ProblemWriter problems) {
		return (request, response, ex) -> problems.write(request, response, HttpStatus.BAD_REQUEST,
				"the request URL is not allowed");
	}

}
