package hosting.aegir.backend.operation;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One step of an operation: a catalog task (e.g. {@code aegir.GenerateDrupalSiteBackup}),
 * its own vars, an optional task file.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record TaskSpec(String name, Map<String, Object> vars, String tasksFrom) {
}
