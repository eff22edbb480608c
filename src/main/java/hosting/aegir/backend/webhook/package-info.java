/**
 * Signed callbacks to the URL a submission names when its operation ends, delivered at
 * least once.
 */
package hosting.aegir.backend.webhook;
