package hosting.aegir.backend.operation;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** A page of the operation list, newest first. */
@Schema(name = "OperationPage")
record OperationPage(List<OperationSummary> items,
		@Schema(description = "Pass as ?after= for the next (older) page; absent on the last page",
				nullable = true) String next) {
}
