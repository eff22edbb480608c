package hosting.aegir.backend.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import hosting.aegir.backend.support.ApiClient;
import hosting.aegir.backend.support.HeadlessChromium;
import hosting.aegir.backend.support.PostgresTest;
import hosting.aegir.backend.support.ScriptedEngineConfig;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

import static hosting.aegir.backend.support.ApiClient.SUBMITTER;
import static hosting.aegir.backend.support.ApiClient.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Swagger UI as an operator sees it, in Debian's headless Chromium: open
 * /swagger-ui.html, authorise with a token through the Authorize dialog, run "List
 * operations" (Try it out, Execute), and see the response in the page; the tasks and
 * backups endpoints show their examples. Screenshots go to target/swagger-ui/. Without
 * Chromium this test fails: .ci/run installs it.
 */
@PostgresTest
@Import(ScriptedEngineConfig.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "aegir.executor.enabled=false")
class SwaggerUiBrowserTest {

	private static final Path SCREENSHOTS = Path.of("target", "swagger-ui");

	@LocalServerPort
	int port;

	@Test
	void anOperatorAuthorisesAndListsOperations() throws Exception {
		ApiClient api = new ApiClient(port);
		List<String> ids = new ArrayList<>();
		for (String target : List.of("site-swagger-a", "site-swagger-b")) {
			ids.add(api.json(api.post("/api/v1/operations", SUBMITTER, api.write(ApiClient.submission(target))))
				.get("id")
				.asString());
		}

		try (HeadlessChromium browser = HeadlessChromium.start(1400, 1600)) {
			try {
				operate(browser, ids);
			}
			catch (AssertionError | RuntimeException ex) {
				// What the page showed when it went wrong, to look at.
				browser.screenshot(SCREENSHOTS.resolve("failure.png"), true);
				Files.writeString(SCREENSHOTS.resolve("failure.html"),
						browser.eval("document.documentElement.outerHTML").asString());
				throw ex;
			}
		}
		assertThat(Files.size(SCREENSHOTS.resolve("list-operations.png"))).isGreaterThan(10_000);
	}

	private void operate(HeadlessChromium browser, List<String> ids) throws java.io.IOException {
		{
			browser.navigate("http://127.0.0.1:" + port + "/swagger-ui.html");
			String listOperations = "#operations-Operations-listOperations";
			browser.await("Swagger UI renders the operations", listOperations);
			assertThat(browser.text(".information-container .title")).startsWith("Aegir back-end API");

			// Authorise as an operator would: the Authorize dialog, the viewer token
			// typed in.
			browser.click("button.btn.authorize");
			browser.type(".modal-ux .auth-container input", VIEWER);
			browser.click(".modal-ux .auth-btn-wrapper button.authorize");
			browser.await("the dialog says authorised",
					".modal-ux .auth-btn-wrapper button[aria-label=\"Remove authorization\"]");
			assertThat(browser.text(".modal-ux .auth-container")).contains("Authorized");
			browser.click(".modal-ux .auth-btn-wrapper button.btn-done");
			browser.screenshot(SCREENSHOTS.resolve("authorised.png"), false);

			// List operations: expand, Try it out, Execute.
			browser.click(listOperations + " .opblock-summary-control");
			browser.click(listOperations + " .try-out__btn");
			browser.click(listOperations + " button.execute");
			String response = listOperations + " .live-responses-table .response";
			browser.await("the response of the call", response + " .response-col_status");
			assertThat(browser.text(response + " .response-col_status")).startsWith("200");
			String body = browser.text(response + " .response-col_description pre");
			assertThat(body).contains("\"items\"", ids.get(0), ids.get(1), "site-swagger-a", "\"QUEUED\"");
			assertThat(browser.text(listOperations + " .curl-command")).contains("Authorization: Bearer " + VIEWER);
			browser.eval("document.querySelector(" + HeadlessChromium.quote(listOperations + " .responses-inner h4")
					+ ").scrollIntoView({block: 'start'})");
			browser.screenshot(SCREENSHOTS.resolve("list-operations.png"), false);

			// The tasks and backups endpoints, with their examples.
			String tasks = "#operations-Catalog-listTasks";
			String backups = "#operations-Backups-listBackups";
			browser.click(tasks + " .opblock-summary-control");
			browser.click(backups + " .opblock-summary-control");
			browser.await("the tasks endpoint's responses", tasks + " .responses-table");
			browser.await("the backups endpoint's responses", backups + " .responses-table");
			assertThat(browser.text(tasks)).contains("/api/v1/tasks", "List the task catalog",
					"aegir.GenerateDrupalSiteBackup", "Back up a Drupal site");
			assertThat(browser.text(backups)).contains("/api/v1/backups", "site-3f2a9c1e",
					"/var/aegir/backups/example.org-20261125T101500123456Z-k3x9qa.tar.gz",
					"https://aegir.hosting/problems/validation-failed");
			assertThat(browser.text("#swagger-ui")).contains("/api/v1/operations/{id}/log",
					"/api/v1/operations/{id}/cancel", "/api/v1/operations/{id}/events");
			browser.screenshot(SCREENSHOTS.resolve("swagger-ui-full.png"), true);
		}
	}

}
