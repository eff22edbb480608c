package hosting.aegir.backend.operation;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What a submission gets when it leaves a setting out. Bound from the executor's settings
 * (the queue's {@code ExecutorProperties} reads the same key) so that accepting work does
 * not depend on the queue that runs it.
 *
 * @param defaultTimeout timeout of an operation submitted without {@code timeoutSeconds}
 */
@ConfigurationProperties("aegir.executor")
record SubmissionDefaults(@DefaultValue("1h") Duration defaultTimeout) {
}
