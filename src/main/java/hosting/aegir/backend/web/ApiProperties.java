package hosting.aegir.backend.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Limits of the HTTP API.
 *
 * @param maxRequestBody requests with a larger body are refused with 413
 */
@ConfigurationProperties("aegir.api")
public record ApiProperties(@DefaultValue("1MB") DataSize maxRequestBody) {
}
