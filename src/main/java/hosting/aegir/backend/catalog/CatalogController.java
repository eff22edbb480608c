package hosting.aegir.backend.catalog;

import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Lists the tasks operations may use, with the variables each takes. */
@RestController
@RequestMapping(path = "/api/v1/tasks", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Catalog", description = "The tasks that exist and the variables they take")
class CatalogController {

	private final TaskCatalog catalog;

	public CatalogController(TaskCatalog catalog) {
		this.catalog = catalog;
	}

	@GetMapping
	@Operation(operationId = "listTasks", summary = "List the task catalog",
			description = "Every task an operation may name, its engine, and its variables (type, required, default, "
					+ "choices, and whether it is a secret). Submissions are validated against it.")
	public List<CatalogTask> tasks() {
		return catalog.all();
	}

}
