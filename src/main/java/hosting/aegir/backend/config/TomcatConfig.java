package hosting.aegir.backend.config;

import hosting.aegir.backend.web.ProblemErrorReportValve;
import org.apache.catalina.core.StandardHost;

import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Tomcat answers what it refuses itself with problem documents too. */
@Configuration
class TomcatConfig {

	@Bean
	TomcatContextCustomizer problemErrorReports() {
		return context -> {
			if (context.getParent() instanceof StandardHost host) {
				host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
			}
		};
	}

}
