package hosting.aegir.backend.operation;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** A page of the operation list, newest first. */
@Schema(name = "OperationPage")
public record OperationPage(List<OperationSummary> items, int page, int size, long totalElements, int totalPages) {
}
