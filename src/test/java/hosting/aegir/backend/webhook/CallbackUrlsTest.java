package hosting.aegir.backend.webhook;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import hosting.aegir.backend.operation.OperationRejectedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator's allow-list: exact hosts, optional ports, https unless http is allowed,
 * no credentials.
 */
class CallbackUrlsTest {

	private static CallbackUrls allowing(boolean http, String... hosts) {
		return new CallbackUrls(new WebhookProperties(List.of(hosts), http, "a-secret-of-16-chars", true, 4,
				Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofHours(24),
				Duration.ofSeconds(5), true));
	}

	@Test
	void onlyListedHostsAndPortsOverHttpsAreAllowed() {
		CallbackUrls urls = allowing(false, "Aegir.Example.org", "hooks.example.net:8443", "[::1]",
				"any.example.com:*");
		assertThat(urls.refusal(URI.create("https://aegir.example.org/hook?site=1"))).isNull();
		assertThat(urls.refusal(URI.create("https://AEGIR.example.org:443/hook"))).isNull();
		assertThat(urls.refusal(URI.create("https://aegir.example.org:22/hook")))
			.contains("not in the operator's allow-list");
		assertThat(urls.refusal(URI.create("https://any.example.com:9000/hook"))).isNull();
		assertThat(urls.refusal(URI.create("https://hooks.example.net:8443/x"))).isNull();
		assertThat(urls.refusal(URI.create("https://[::1]/x"))).isNull();
		assertThat(urls.refusal(URI.create("https://hooks.example.net/x")))
			.contains("not in the operator's allow-list");
		assertThat(urls.refusal(URI.create("https://aegir.example.org.evil.net/x")))
			.contains("not in the operator's allow-list");
		assertThat(urls.refusal(URI.create("https://evil.net/x?aegir.example.org")))
			.contains("not in the operator's allow-list");
		assertThat(urls.refusal(URI.create("http://aegir.example.org/hook"))).isEqualTo("must be an https URL");
		assertThat(urls.refusal(URI.create("https://user:pw@aegir.example.org/hook"))).contains("credentials");
		assertThat(allowing(true, "127.0.0.1:8080").refusal(URI.create("http://127.0.0.1:8080/hook"))).isNull();
		assertThat(allowing(true, "127.0.0.1").refusal(URI.create("http://127.0.0.1:8080/hook")))
			.contains("not in the operator's allow-list");
		assertThat(allowing(true, "127.0.0.1").refusal(URI.create("http://127.0.0.1/hook"))).isNull();
	}

	@Test
	void withNoHostsConfiguredEveryCallbackIsRefusedNamingTheField() {
		assertThatThrownBy(() -> new CallbackUrls(
				new WebhookProperties(List.of(), false, null, true, 4, Duration.ofSeconds(10), Duration.ofSeconds(10),
						Duration.ofMinutes(10), Duration.ofHours(24), Duration.ofSeconds(5), true))
			.check("https://aegir.example.org/hook")).isInstanceOfSatisfying(OperationRejectedException.class, ex -> {
				assertThat(ex.violations()).extracting(OperationRejectedException.Violation::field)
					.containsExactly("callbackUrl");
				assertThat(ex.getMessage()).contains("aegir.webhooks.allowed-hosts is empty");
			});
	}

	@Test
	void allowingAHostWithoutASecretStopsStartUp() {
		assertThatThrownBy(() -> new WebhookProperties(List.of("aegir.example.org"), false, null, true, 4,
				Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofHours(24),
				Duration.ofSeconds(5), true))
			.hasMessageContaining("aegir.webhooks.secret");
	}

	@Test
	void backOffDoublesUpToItsCapWithJitterBelowIt() {
		WebhookProperties properties = new WebhookProperties(List.of(), false, null, true, 4, Duration.ofSeconds(10),
				Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofHours(24), Duration.ofSeconds(5), true);
		assertThat(properties.backoff(1)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
		assertThat(properties.backoff(3)).isBetween(Duration.ofSeconds(32), Duration.ofSeconds(40));
		assertThat(properties.backoff(30)).isBetween(Duration.ofMinutes(8), Duration.ofMinutes(10));
		assertThat(properties.backoff(500)).isBetween(Duration.ofMinutes(8), Duration.ofMinutes(10));
	}

}
