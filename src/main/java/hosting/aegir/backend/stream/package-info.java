/**
 * Server-sent event streams of an operation's log and events, across replicas.
 */
package hosting.aegir.backend.stream;
