package hosting.aegir.backend.queue;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How run output is stored.
 *
 * @param maxBytes an operation's stored log stops here, with a truncation marker
 * @param flushInterval buffered log lines and events are written at least this often
 * @param batchSize a buffer this large is written at once
 */
@ConfigurationProperties("aegir.log")
record LogProperties(@DefaultValue("16MB") DataSize maxBytes, @DefaultValue("200ms") Duration flushInterval,
		@DefaultValue("500") int batchSize) {
}
