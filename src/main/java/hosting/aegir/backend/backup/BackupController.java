package hosting.aegir.backend.backup;

import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.UriComponentsBuilder;

/** Lists a site's backups, and shows one. */
@RestController
@RequestMapping(path = "/api/v1/backups", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Backups", description = "Backups recorded from operation outputs")
class BackupController {

	private final BackupIndex backups;

	public BackupController(BackupIndex backups) {
		this.backups = backups;
	}

	@GetMapping
	@Operation(operationId = "listBackups", summary = "List a site's backups",
			description = "Backups that successful operations of this target reported (output backup_path), newest first, "
					+ "deleted ones included (with deletedAt). A full page has a Link header rel=\"next\": "
					+ "pass its before= for the next page.")
	public ResponseEntity<List<Backup>> list(@Parameter(description = "The operations' target (the site)",
			example = "site-3f2a9c1e") @RequestParam @NotBlank @Size(max = 200) @Pattern(
					regexp = "[A-Za-z0-9][A-Za-z0-9._:@/-]*", message = "must be a target as submitted") String target,
			@Parameter(schema = @Schema(type = "integer", format = "int32", defaultValue = "100", minimum = "1",
					maximum = "1000")) @RequestParam(defaultValue = "100") @Min(1) @Max(1000) int limit,
			@Parameter(description = "Only backups with a smaller id (the next page)") @RequestParam(
					required = false) @Min(1) Long before) {
		List<Backup> page = backups.of(target, before, limit);
		ResponseEntity.BodyBuilder response = ResponseEntity.ok();
		if (page.size() == limit) {
			String next = UriComponentsBuilder.fromPath("/api/v1/backups")
				.queryParam("target", target)
				.queryParam("limit", limit)
				.queryParam("before", page.get(page.size() - 1).id())
				.encode()
				.toUriString();
			response.header(HttpHeaders.LINK, "<" + next + ">; rel=\"next\"");
		}
		return response.body(page);
	}

	@GetMapping("/{id}")
	@Operation(operationId = "getBackup", summary = "One backup",
			description = "A backup by its id: path, size, SHA-256, description, the operation and task that made it, and when it was deleted.")
	public Backup one(@PathVariable @Min(1) long id) {
		return backups.find(id).orElseThrow(() -> new BackupNotFoundException(id));
	}

}
