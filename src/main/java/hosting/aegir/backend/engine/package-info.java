/**
 * The Engine SPI (start a run, stream its log, events and outputs, cancel it) and its
 * implementations, engine.ansible and engine.kubernetes, each of which also brings its
 * part of the catalog (its tasks, and what it refuses in a submission); knows nothing of
 * HTTP or of the database.
 */
package hosting.aegir.backend.engine;
