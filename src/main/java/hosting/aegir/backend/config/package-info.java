/**
 * Application wiring that belongs to no feature: the OpenAPI document, Tomcat, bean
 * validation, start-up guards and failure analysis.
 */
package hosting.aegir.backend.config;
