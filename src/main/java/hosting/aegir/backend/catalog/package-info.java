/**
 * The tasks that exist (Ansible roles' argument specs, Kubernetes templates) and the
 * validation of submitted tasks, variables, paths and hosts against them.
 */
package hosting.aegir.backend.catalog;
