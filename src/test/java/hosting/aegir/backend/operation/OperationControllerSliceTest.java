package hosting.aegir.backend.operation;

import hosting.aegir.backend.security.SecurityConfig;
import hosting.aegir.backend.security.TokenProperties;
import hosting.aegir.backend.web.ApiProperties;
import hosting.aegir.backend.web.ProblemWriter;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The web layer alone: binding, validation and problem mapping, before anything reaches
 * the service.
 */
@WebMvcTest(OperationController.class)
@Import({ SecurityConfig.class, ProblemWriter.class })
@EnableConfigurationProperties({ ApiProperties.class, TokenProperties.class })
@ActiveProfiles("test")
class OperationControllerSliceTest {

	private static final String TOKEN = "Bearer test-submitter-token-0123456789";

	@Autowired
	MockMvc mvc;

	@MockitoBean
	OperationService service;

	@Test
	void invalidFieldsAreNamedAndNeverReachTheService() throws Exception {
		mvc.perform(post("/api/v1/operations").header("Authorization", TOKEN)
			.contentType(MediaType.APPLICATION_JSON)
			.content("""
					{"type": "Site Backup", "engine": "ansible", "target": "t", "hosts": "localhost",
					 "tasks": [{"name": "aegir.X", "tasksFrom": "../main"}], "vars": {"ansible_user": "root"}}
					"""))
			.andExpect(status().isBadRequest())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON))
			.andExpect(jsonPath("$.type").value("https://aegir.hosting/problems/validation-failed"))
			.andExpect(jsonPath("$.errors[?(@.field == 'type')]").exists())
			.andExpect(jsonPath("$.errors[?(@.field == 'tasks[0].tasksFrom')]").exists())
			.andExpect(jsonPath("$.errors[?(@.field == 'vars')]").exists());
		verify(service, never()).submit(any(), any());
	}

	@Test
	void wrongMediaTypeIs415Problem() throws Exception {
		mvc.perform(post("/api/v1/operations").header("Authorization", TOKEN)
			.contentType(MediaType.TEXT_PLAIN)
			.content("x"))
			.andExpect(status().isUnsupportedMediaType())
			.andExpect(jsonPath("$.type").value("https://aegir.hosting/problems/unsupported-media-type"));
	}

	@Test
	void anonymousCallsAre401Problems() throws Exception {
		mvc.perform(get("/api/v1/operations"))
			.andExpect(status().isUnauthorized())
			.andExpect(content().contentType(MediaType.APPLICATION_PROBLEM_JSON));
	}

}
