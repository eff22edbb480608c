/**
 * Operations: the aggregate and its states, the repository, accepting, cancelling and
 * querying them (OperationService), the REST controller and its DTOs.
 */
package hosting.aegir.backend.operation;
