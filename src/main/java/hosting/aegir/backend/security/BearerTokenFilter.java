package hosting.aegir.backend.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import hosting.aegir.backend.security.TokenProperties.Token;
import hosting.aegir.backend.web.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer <token>} against the configured tokens. A
 * request without the header goes on anonymous (and is refused where a role is needed); a
 * wrong token is refused here.
 */
class BearerTokenFilter extends OncePerRequestFilter {

	private static final String PREFIX = "Bearer ";

	private final List<KnownToken> tokens;

	private final ProblemWriter problems;

	public BearerTokenFilter(TokenProperties properties, ProblemWriter problems) {
		this.tokens = properties.tokens().stream().map(KnownToken::of).toList();
		this.problems = problems;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String header = request.getHeader(HttpHeaders.AUTHORIZATION);
		if (header == null) {
			chain.doFilter(request, response);
			return;
		}
		Token token = header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
				? match(header.substring(PREFIX.length()).trim()) : null;
		if (token == null) {
			response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
			problems.write(request, response, HttpStatus.UNAUTHORIZED, "the bearer token is not valid");
			return;
		}
		var authentication = new UsernamePasswordAuthenticationToken(token.name(), null,
				List.of(new SimpleGrantedAuthority("ROLE_" + token.role().name())));
		var context = SecurityContextHolder.createEmptyContext();
		context.setAuthentication(authentication);
		SecurityContextHolder.setContext(context);
		try {
			chain.doFilter(request, response);
		}
		finally {
			SecurityContextHolder.clearContext();
		}
	}

	// Compare digests, in constant time, against every token: timing tells nothing of
	// which was close.
	private Token match(String presented) {
		byte[] digest = sha256(presented);
		Token found = null;
		for (KnownToken known : tokens) {
			if (MessageDigest.isEqual(known.digest(), digest)) {
				found = known.token();
			}
		}
		return found;
	}

	private static byte[] sha256(String value) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("every JVM has SHA-256", ex);
		}
	}

	private record KnownToken(Token token, byte[] digest) {

		static KnownToken of(Token token) {
			if (token.role() == null) {
				throw new IllegalStateException(
						"aegir.security.tokens: the token named '" + token.name() + "' needs a role");
			}
			if (token.valueSha256() != null) {
				if (token.value() != null) {
					throw new IllegalStateException("aegir.security.tokens: the token named '" + token.name()
							+ "' has both a value and a value-sha256; give one");
				}
				if (!token.valueSha256().matches("[0-9a-fA-F]{64}")) {
					throw new IllegalStateException("aegir.security.tokens: the value-sha256 of the token named '"
							+ token.name() + "' must be a SHA-256 digest in hex (64 digits)");
				}
				return new KnownToken(token,
						HexFormat.of().parseHex(token.valueSha256().toLowerCase(java.util.Locale.ROOT)));
			}
			if (token.value() == null || token.value().length() < 16) {
				throw new IllegalStateException("aegir.security.tokens: the token named '" + token.name()
						+ "' must have a value of at least 16 characters (or a value-sha256)");
			}
			return new KnownToken(token, sha256(token.value()));
		}

	}

}
