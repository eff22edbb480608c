/**
 * Backups recorded from the outputs of finished operations, and their lookup by site.
 */
package hosting.aegir.backend.backup;
