package hosting.aegir.backend.operation;

import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;

/**
 * Reads and inserts operations; state changes go through the guarded transitions of
 * {@link OperationStore}.
 */
interface OperationRepository extends JpaRepository<Operation, UUID>, JpaSpecificationExecutor<Operation> {

	Optional<Operation> findByIdempotencyKey(String idempotencyKey);

}
