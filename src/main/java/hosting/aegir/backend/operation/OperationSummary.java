package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One row of the operation list. */
@Schema(name = "OperationSummary")
@JsonInclude(JsonInclude.Include.NON_NULL)
record OperationSummary(UUID id, String type, String engine, String target, OperationStatus status, Integer exitCode,
		String reason, OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt) {

}
