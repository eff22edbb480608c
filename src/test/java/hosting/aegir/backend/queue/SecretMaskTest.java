package hosting.aegir.backend.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.ClaimedOperation;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Secret values are hidden wherever a run prints them. */
class SecretMaskTest {

	private final JsonMapper json = JsonMapper.builder().build();

	@Test
	void hidesTheValuesOfSecretVariablesFromOperationAndTaskVars() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "site.install", "ansible", "t", "localhost",
				"{\"db_url\": \"mysql://u:hunter22@db/x\", \"site_uri\": \"example.org\"}",
				"[{\"name\": \"aegir.InstallDrupalSite\", \"vars\": {\"account_pass\": \"hunter22\"}}]",
				"[\"db_url\", \"account_pass\"]", 60, 1, 1, false, Instant.now());
		SecretMask mask = SecretMask.of(op.secretVars(json), op.engineRequest(json));

		assertThat(mask.apply("connecting to mysql://u:hunter22@db/x as admin/hunter22 for example.org"))
			.isEqualTo("connecting to ******** as admin/******** for example.org");
		assertThat(mask.apply((Object) Map.of("out", List.of("pw=hunter22"))))
			.isEqualTo(Map.of("out", List.of("pw=********")));
	}

	@Test
	void aSecretAcrossTheCutOfALongLineIsHiddenWhole() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "site.install", "ansible", "t", "localhost",
				"{\"account_pass\": \"correct-horse-battery\"}", "[]", "[\"account_pass\"]", 60, 1, 1, false,
				Instant.now());
		SecretMask mask = SecretMask.of(op.secretVars(json), op.engineRequest(json));
		// The secret starts ten characters before the point where a long line is cut.
		String line = "x".repeat(RunRecorder.MAX_LINE_CHARS - 10) + "correct-horse-battery and more";

		String stored = RunRecorder.storable(mask, line);

		assertThat(stored).doesNotContain("correct-h").endsWith(" [line cut]");
	}

	@Test
	void aSecretAsJsonWritesItIsHiddenToo() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "site.install", "ansible", "t", "localhost",
				"{\"account_pass\": \"tr/ub\\\\le\\\"d\"}", "[]", "[\"account_pass\"]", 60, 1, 1, false, Instant.now());
		SecretMask mask = SecretMask.of(op.secretVars(json), op.engineRequest(json));

		// drush --format=json (PHP escapes '/'), and ansible's JSON results.
		assertThat(mask.apply("{\"pass\":\"tr\\/ub\\\\le\\\"d\"}")).isEqualTo("{\"pass\":\"********\"}");
		assertThat(mask.apply("{\"pass\": \"tr/ub\\\\le\\\"d\"}")).isEqualTo("{\"pass\": \"********\"}");
		assertThat(mask.apply("tr/ub\\le\"d")).isEqualTo("********");
	}

	@Test
	void withoutSecretsNothingChanges() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "x", "ansible", "t", "localhost",
				"{\"a\": \"b\"}", "[]", "[]", 60, 1, 1, false, Instant.now());
		assertThat(SecretMask.of(op.secretVars(json), op.engineRequest(json)).apply("a b")).isEqualTo("a b");
	}

	@Test
	void theUrlPasswordOfAnyUrlWithCredentialsIsHiddenKeepingSchemeUserAndHost() {
		SecretMask mask = noSecrets();

		assertThat(mask.apply("ERROR: could not connect to mysql://u:p4ss@db/x (1045)"))
			.isEqualTo("ERROR: could not connect to mysql://u:********@db/x (1045)");
		assertThat(mask.apply("pgsql://drupal:s3cret@db.internal:5432/site and https://example.org/path"))
			.isEqualTo("pgsql://drupal:********@db.internal:5432/site and https://example.org/path");
		assertThat(mask.apply("two: mysql://a:one@h1/x, mysql://b:two@h2/y"))
			.isEqualTo("two: mysql://a:********@h1/x, mysql://b:********@h2/y");
		assertThat(mask.apply((Object) Map.of("db", List.of("sqlite+pdo://root:toor@localhost"))))
			.isEqualTo(Map.of("db", List.of("sqlite+pdo://root:********@localhost")));
	}

	@Test
	void aPasswordHoldingAtSlashOrPercentEncodingIsHiddenWhole() {
		SecretMask mask = noSecrets();

		assertThat(mask.apply("mysql://u:p@ss@db/x")).isEqualTo("mysql://u:********@db/x");
		assertThat(mask.apply("mysql://u:pa/ss@db/x")).isEqualTo("mysql://u:********@db/x");
		assertThat(mask.apply("mysql://u:p%40ss%2F@db/x")).isEqualTo("mysql://u:********@db/x");
		assertThat(mask.apply("'mysql://u:p4ss@db/x'")).isEqualTo("'mysql://u:********@db/x'");
		assertThat(mask.apply("mysql://u:@db/x")).isEqualTo("mysql://u:********@db/x");
		// drush --format=json: PHP escapes the slashes.
		assertThat(mask.apply("{\"db-url\":\"mysql:\\/\\/u:p4ss@db\\/x\"}"))
			.isEqualTo("{\"db-url\":\"mysql:\\/\\/u:********@db\\/x\"}");
	}

	@Test
	void urlsWithoutAPasswordAndPlainTextAreLeftAsTheyAre() {
		SecretMask mask = noSecrets();

		for (String text : List.of("ssh://git@example.org/repo.git", "https://example.org:8443/x",
				"see https://example.org/a then mail a@b", "no url: a:b@c", "://x:y@z", "http:/", "a://b:")) {
			assertThat(mask.apply(text)).isEqualTo(text);
		}
	}

	@Test
	void aPercentEncodedSecretValueIsHiddenToo() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "site.install", "ansible", "t", "localhost",
				"{\"db_pass\": \"p@ss w/rd\"}", "[]", "[\"db_pass\"]", 60, 1, 1, false, Instant.now());
		SecretMask mask = SecretMask.of(op.secretVars(json), op.engineRequest(json));

		assertThat(mask.apply("user=u pass=p%40ss+w%2Frd or p%40ss%20w%2Frd or p@ss w/rd"))
			.isEqualTo("user=u pass=******** or ******** or ********");
	}

	@Test
	void aLongLineOfUrlLikeTextIsMaskedInLinearTime() {
		String hostile = "a://b:".repeat(200_000) + "x".repeat(1_000_000);
		String escaped = "a:\\/\\/b:".repeat(100_000) + " c://d ".repeat(100_000);
		String spaced = "@ " + "a://b:x ".repeat(200_000);

		// Quadratic, these would take minutes.
		assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
			assertThat(noSecrets().apply(hostile)).isEqualTo(hostile);
			assertThat(noSecrets().apply(escaped)).isEqualTo(escaped);
			assertThat(noSecrets().apply(spaced)).isEqualTo(spaced);
		});
	}

	private SecretMask noSecrets() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "x", "ansible", "t", "localhost", "{}", "[]",
				"[]", 60, 1, 1, false, Instant.now());
		return SecretMask.of(op.secretVars(json), op.engineRequest(json));
	}

}
