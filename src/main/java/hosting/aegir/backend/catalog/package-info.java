/**
 * The tasks that exist and the validation of submitted tasks and variables against them,
 * whichever engine runs them. An engine brings its part through two SPIs: a
 * {@link hosting.aegir.backend.catalog.TaskSource} (its tasks) and, when it refuses more
 * than its catalog entries say, {@link hosting.aegir.backend.catalog.SubmissionRules}
 * (operator settings, hosts, request paths).
 */
package hosting.aegir.backend.catalog;
