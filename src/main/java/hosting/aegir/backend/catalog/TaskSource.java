package hosting.aegir.backend.catalog;

import java.util.List;

/** Where some of the catalog's tasks come from: one engine's task definitions. */
interface TaskSource {

	List<CatalogTask> tasks();

}
