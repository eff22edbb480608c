package hosting.aegir.backend.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * One output a task returns (Ansible: with {@code set_stats}), as its role's
 * {@code meta/outputs.yml} declares it.
 */
@Schema(name = "CatalogOutput")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CatalogOutput(@Schema(example = "backup_path") String name, @Schema(example = "path", allowableValues = {
		"str", "path", "int", "float", "bool", "list", "dict", "raw" }) String type, String description,
		@Schema(description = "A secret: shown to submitters, masked for viewers, never in the log") boolean secret){
}
