/**
 * Authentication by bearer token and the authorisation rules of every request.
 */
package hosting.aegir.backend.security;
