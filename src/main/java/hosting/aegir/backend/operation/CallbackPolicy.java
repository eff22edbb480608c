package hosting.aegir.backend.operation;

/**
 * Decides whether a submission's {@code callbackUrl} may be called (the webhook feature
 * implements it from the operator's allow-list). Refusal is an
 * {@link OperationRejectedException} naming {@code callbackUrl}.
 */
public interface CallbackPolicy {

	/**
	 * The URL to store, normalised; throws {@link OperationRejectedException} when it may
	 * not be called.
	 */
	String check(String callbackUrl);

}
