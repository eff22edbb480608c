package hosting.aegir.backend.queue;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How this replica runs operations. ({@code aegir.executor.default-timeout}, what a
 * submission without a timeout gets, is bound by the operation module.)
 *
 * @param enabled whether this replica claims and runs operations at all (an API-only
 * replica sets false)
 * @param concurrency executor slots: operations run at once on this replica
 * @param pollInterval fallback poll for queued work, covering lost notifications
 * @param heartbeatInterval how often running operations' heartbeats are refreshed
 * @param staleAfter a running operation whose heartbeat is older than this is reaped
 * @param shutdownGrace on shutdown, how long running operations may take to finish before
 * those submitted with {@code retry} are handed back to the queue and the others
 * cancelled
 * @param deadlineGrace the database-side deadline of a run is
 * {@code started_at + timeout + deadlineGrace}: past it, any replica's reaper ends it
 * TIMED_OUT even while its replica still heartbeats (a run stuck beyond its own timeout)
 * @param replicaId this replica's name in {@code claimed_by}; default: host, pid and a
 * random suffix
 * @param notifications wake on LISTEN/NOTIFY; turn off behind a transaction-pooling
 * PgBouncer, where LISTEN cannot work (the poll then drives claiming, and cancels arrive
 * with the heartbeat)
 */
@ConfigurationProperties("aegir.executor")
public record ExecutorProperties(@DefaultValue("true") boolean enabled, @DefaultValue("4") int concurrency,
		@DefaultValue("5s") Duration pollInterval, @DefaultValue("5s") Duration heartbeatInterval,
		@DefaultValue("30s") Duration staleAfter, @DefaultValue("60s") Duration shutdownGrace, String replicaId,
		@DefaultValue("true") boolean notifications, @DefaultValue("2m") Duration deadlineGrace) {
}
