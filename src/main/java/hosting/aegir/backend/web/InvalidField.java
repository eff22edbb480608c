package hosting.aegir.backend.web;

/**
 * One rejected input in a problem's {@code errors}: where it was and what is wrong with
 * it.
 */
public record InvalidField(String field, String message) {
}
