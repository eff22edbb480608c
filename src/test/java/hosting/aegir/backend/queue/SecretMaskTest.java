package hosting.aegir.backend.queue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import hosting.aegir.backend.operation.ClaimedOperation;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

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
	void withoutSecretsNothingChanges() {
		ClaimedOperation op = new ClaimedOperation(UUID.randomUUID(), "x", "ansible", "t", "localhost",
				"{\"a\": \"b\"}", "[]", "[]", 60, 1, 1, false, Instant.now());
		assertThat(SecretMask.of(op.secretVars(json), op.engineRequest(json)).apply("a b")).isEqualTo("a b");
	}

}
