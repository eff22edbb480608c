package hosting.aegir.backend.support;

import org.assertj.core.api.AbstractAssert;
import tools.jackson.databind.JsonNode;

/**
 * AssertJ assertions on an operation as the API returns it:
 * {@code assertThatOperation(op).isSucceeded().hasOutput("backup_path", path)}. A failure
 * shows the whole operation, so its reason and log are in the report.
 */
public class OperationAssert extends AbstractAssert<OperationAssert, JsonNode> {

	OperationAssert(JsonNode operation) {
		super(operation, OperationAssert.class);
	}

	public static OperationAssert assertThat(JsonNode operation) {
		return new OperationAssert(operation);
	}

	/**
	 * {@link #assertThat}, named apart from AssertJ's, whose {@code assertThat(Iterable)}
	 * a JsonNode also fits.
	 */
	public static OperationAssert assertThatOperation(JsonNode operation) {
		return new OperationAssert(operation);
	}

	public OperationAssert hasStatus(String status) {
		isNotNull();
		String found = actual.path("status").asString();
		if (!status.equals(found)) {
			failWithMessage("Expected operation to be %s but was %s:%n%s", status, found, actual);
		}
		return this;
	}

	public OperationAssert isSucceeded() {
		return hasStatus("SUCCEEDED");
	}

	public OperationAssert isFailed() {
		return hasStatus("FAILED");
	}

	public OperationAssert isCancelled() {
		return hasStatus("CANCELLED");
	}

	public OperationAssert isTimedOut() {
		return hasStatus("TIMED_OUT");
	}

	public OperationAssert hasOutput(String name, Object value) {
		isNotNull();
		JsonNode output = actual.path("outputs").path(name);
		Object found = output.isNumber() ? (Object) output.numberValue() : output.isBoolean() ? output.asBoolean()
				: output.isString() ? output.asString() : output.isMissingNode() ? null : output.toString();
		if (value instanceof Number expected && found instanceof Number number
				? expected.longValue() != number.longValue() : !java.util.Objects.equals(value, found)) {
			failWithMessage("Expected output %s to be <%s> but was <%s> in:%n%s", name, value, found, actual);
		}
		return this;
	}

	public OperationAssert hasOutput(String name) {
		isNotNull();
		if (actual.path("outputs").path(name).isMissingNode()) {
			failWithMessage("Expected an output %s in:%n%s", name, actual);
		}
		return this;
	}

	public OperationAssert hasReasonContaining(String text) {
		isNotNull();
		String reason = actual.path("reason").asString();
		if (reason == null || !reason.contains(text)) {
			failWithMessage("Expected the reason to contain <%s> but was <%s> in:%n%s", text, reason, actual);
		}
		return this;
	}

}
