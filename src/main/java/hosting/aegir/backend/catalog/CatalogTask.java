package hosting.aegir.backend.catalog;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A task the front-end may put in an operation: for the Ansible engine, a role and its
 * argument spec.
 *
 * @param taskFiles the role's task files usable as {@code tasksFrom} (besides
 * {@code main})
 * @param outputs what the task returns, for later tasks of the same operation to refer to
 */
@Schema(name = "CatalogTask")
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record CatalogTask(@Schema(example = "aegir.GenerateDrupalSiteBackup") String name,
		@Schema(example = "ansible") String engine, @Schema(example = "Back up a Drupal site") String summary,
		String description, List<CatalogVariable> variables, List<String> taskFiles, List<CatalogOutput> outputs) {

	public CatalogTask {
		outputs = outputs == null ? List.of() : List.copyOf(outputs);
	}

	/** A task that declares no outputs. */
	public CatalogTask(String name, String engine, String summary, String description, List<CatalogVariable> variables,
			List<String> taskFiles) {
		this(name, engine, summary, description, variables, taskFiles, List.of());
	}

	public CatalogOutput output(String name) {
		return outputs.stream().filter(o -> o.name().equals(name)).findFirst().orElse(null);
	}

	public CatalogVariable variable(String name) {
		return variables.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
	}

}
