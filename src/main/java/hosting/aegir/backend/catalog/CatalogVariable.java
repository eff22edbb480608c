package hosting.aegir.backend.catalog;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** One variable a task takes, as its argument spec declares it. */
@Schema(name = "CatalogVariable")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CatalogVariable(@Schema(example = "backup_dir") String name, @Schema(example = "path", allowableValues = {
		"str", "path", "int", "float", "bool", "list", "dict", "raw" }) String type, boolean required,
		@Schema(description = "Used when the variable is not given") Object defaultValue, String description,
		@Schema(description = "Allowed values, when restricted") List<Object> choices,
		@Schema(description = "For lists: the type of the elements") String elements,
		@Schema(description = "A secret: masked in logs, events and the API") boolean noLog){
}
