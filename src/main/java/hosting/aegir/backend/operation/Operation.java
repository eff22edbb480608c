package hosting.aegir.backend.operation;

import java.time.OffsetDateTime;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.PostLoad;
import jakarta.persistence.PostPersist;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.hibernate.annotations.ColumnTransformer;
import org.springframework.data.domain.Persistable;

/**
 * The stored Operation row. JSON columns are kept as text here and parsed by the service,
 * so the entity stays independent of the JSON library; status changes never go through
 * this entity but through the guarded transitions of {@link OperationStore} and the
 * queue.
 */
@Entity
@Table(name = "operation")
class Operation implements Persistable<UUID> {

	@Id
	private UUID id;

	private String type;

	private String engine;

	private String target;

	private String hosts;

	@ColumnTransformer(write = "?::jsonb")
	private String vars;

	@ColumnTransformer(write = "?::jsonb")
	private String tasks;

	@Enumerated(EnumType.STRING)
	private OperationStatus status;

	private Integer exitCode;

	private String reason;

	@ColumnTransformer(write = "?::jsonb")
	private String outputs;

	@ColumnTransformer(write = "?::jsonb")
	private String secretVars;

	private String idempotencyKey;

	private String callbackUrl;

	private String requestHash;

	private int timeoutSeconds;

	private boolean retry;

	private int maxAttempts;

	private int attempt;

	@Column(name = "check_mode")
	private boolean check;

	private int verbosity;

	private String claimedBy;

	private OffsetDateTime heartbeatAt;

	@Column(insertable = false, updatable = false)
	private OffsetDateTime createdAt;

	private OffsetDateTime startedAt;

	private OffsetDateTime finishedAt;

	@Transient
	private boolean isNew;

	protected Operation() {
	}

	/**
	 * A new, queued operation; {@code createdAt} comes from the database clock on insert.
	 */
	public static Operation queued(UUID id, NewOperation spec, String varsJson, String tasksJson, String secretVarsJson,
			String requestHash) {
		Operation op = new Operation();
		op.id = id;
		op.type = spec.type();
		op.engine = spec.engine();
		op.target = spec.target();
		op.hosts = spec.hosts();
		op.vars = varsJson;
		op.tasks = tasksJson;
		op.status = OperationStatus.QUEUED;
		op.outputs = "{}";
		op.secretVars = secretVarsJson;
		op.idempotencyKey = spec.idempotencyKey();
		op.callbackUrl = spec.callbackUrl();
		op.requestHash = requestHash;
		op.timeoutSeconds = spec.timeoutSeconds();
		op.retry = spec.retry();
		op.maxAttempts = spec.maxAttempts();
		op.check = spec.check();
		op.verbosity = spec.verbosity();
		op.isNew = true;
		return op;
	}

	@PostLoad
	@PostPersist
	void markNotNew() {
		this.isNew = false;
	}

	@Override
	public boolean isNew() {
		return isNew;
	}

	@Override
	public UUID getId() {
		return id;
	}

	public String getType() {
		return type;
	}

	public String getEngine() {
		return engine;
	}

	public String getTarget() {
		return target;
	}

	public String getHosts() {
		return hosts;
	}

	public String getVars() {
		return vars;
	}

	public String getTasks() {
		return tasks;
	}

	public OperationStatus getStatus() {
		return status;
	}

	public Integer getExitCode() {
		return exitCode;
	}

	public String getReason() {
		return reason;
	}

	public String getOutputs() {
		return outputs;
	}

	public String getSecretVars() {
		return secretVars;
	}

	public String getIdempotencyKey() {
		return idempotencyKey;
	}

	public String getCallbackUrl() {
		return callbackUrl;
	}

	public String getRequestHash() {
		return requestHash;
	}

	public int getTimeoutSeconds() {
		return timeoutSeconds;
	}

	public boolean isRetry() {
		return retry;
	}

	public int getMaxAttempts() {
		return maxAttempts;
	}

	public boolean isCheck() {
		return check;
	}

	public int getVerbosity() {
		return verbosity;
	}

	public int getAttempt() {
		return attempt;
	}

	public String getClaimedBy() {
		return claimedBy;
	}

	public OffsetDateTime getHeartbeatAt() {
		return heartbeatAt;
	}

	public OffsetDateTime getCreatedAt() {
		return createdAt;
	}

	public OffsetDateTime getStartedAt() {
		return startedAt;
	}

	public OffsetDateTime getFinishedAt() {
		return finishedAt;
	}

}
