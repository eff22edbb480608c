package hosting.aegir.backend;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point of the Aegir back-end service. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class AegirBackendApplication {

	public static void main(String[] args) {
		SpringApplication.run(AegirBackendApplication.class, args);
	}

}
