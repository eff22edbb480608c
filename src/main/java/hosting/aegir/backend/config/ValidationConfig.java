package hosting.aegir.backend.config;

import java.lang.annotation.ElementType;

import jakarta.validation.Path;
import jakarta.validation.TraversableResolver;
import org.hibernate.validator.BaseHibernateValidatorConfiguration;

import org.springframework.boot.validation.autoconfigure.ValidationConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Bean validation without JPA's traversable resolver. With JPA on the class path,
 * Hibernate Validator asks JPA before every cascaded property whether it is loaded
 * ({@code Persistence.isLoaded}), then caches the answer per validation: a quarter of
 * validating a submission (a JFR profile under load), for request bodies that are plain
 * records and never entities. Validating an entity's lazy association could load it; the
 * one entity ({@code Operation}) has none, and the service validates request objects
 * only.
 */
@Configuration(proxyBeanMethods = false)
class ValidationConfig {

	@Bean
	ValidationConfigurationCustomizer everythingReachable() {
		return configuration -> {
			configuration.traversableResolver(new EverythingReachable());
			if (configuration instanceof BaseHibernateValidatorConfiguration<?> hibernate) {
				// Nothing to cache: every answer is yes.
				hibernate.enableTraversableResolverResultCache(false);
			}
		};
	}

	private static final class EverythingReachable implements TraversableResolver {

		@Override
		public boolean isReachable(Object traversableObject, Path.Node traversableProperty, Class<?> rootBeanType,
				Path pathToTraversableObject, ElementType elementType) {
			return true;
		}

		@Override
		public boolean isCascadable(Object traversableObject, Path.Node traversableProperty, Class<?> rootBeanType,
				Path pathToTraversableObject, ElementType elementType) {
			return true;
		}

	}

}
