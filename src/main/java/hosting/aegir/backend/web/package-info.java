/**
 * What every endpoint shares: problem responses (RFC 9457) and their types, request body
 * limits and the error handling no feature owns.
 */
package hosting.aegir.backend.web;
