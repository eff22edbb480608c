/**
 * The PostgreSQL queue: claiming work, wake-ups, leases and heartbeats, recovering
 * orphans, running an operation on its engine and recording what it reports; knows
 * operations, not HTTP.
 */
package hosting.aegir.backend.queue;
