package hosting.aegir.backend.operation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;

/**
 * The keys of a vars object are plain variable names and none of Ansible's own: a client
 * must not be able to set {@code ansible_connection}, {@code ansible_become} or magic
 * variables through vars.
 */
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE })
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = VarNamesValidator.class)
@interface VarNames {

	String message() default "keys must be variable names ([A-Za-z_][A-Za-z0-9_]*, at most 100 characters) and not reserved by Ansible (ansible_*, hostvars, ...)";

	Class<?>[] groups() default {};

	Class<? extends Payload>[] payload() default {};

}
