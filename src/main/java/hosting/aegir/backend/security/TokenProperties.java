package hosting.aegir.backend.security;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The bearer tokens this service accepts. Give them through the environment or a secret
 * ({@code AEGIR_SECURITY_TOKENS_0_NAME}, {@code _ROLE}, {@code _VALUE} or
 * {@code _VALUE_SHA256}); with none configured every API call is refused.
 *
 * @param tokens accepted tokens
 */
@ConfigurationProperties("aegir.security")
public record TokenProperties(@DefaultValue List<Token> tokens) {

	/**
	 * One accepted token.
	 *
	 * @param name who holds it (shown as the principal, e.g. in "cancelled by frontend")
	 * @param role what it may do
	 * @param value the secret itself; at least 16 characters
	 * @param valueSha256 instead of {@code value}: the SHA-256 of the token, in hex (64
	 * digits), so the token itself need not sit in configuration
	 * ({@code printf %s "$TOKEN" | sha256sum})
	 */
	public record Token(String name, Role role, String value, String valueSha256) {
	}

	/**
	 * {@code submitter}: the front-end, may submit and cancel; {@code viewer}: operators
	 * and monitoring, read only.
	 */
	public enum Role {

		SUBMITTER, VIEWER

	}

}
