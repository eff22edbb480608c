package hosting.aegir.backend.catalog;

import java.util.List;

/**
 * Where some of the catalog's tasks come from: one engine's task definitions. An engine
 * registers one as a bean while it is enabled; the catalog reads them all at start-up.
 */
public interface TaskSource {

	List<CatalogTask> tasks();

}
