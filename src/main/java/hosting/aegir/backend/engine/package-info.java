/**
 * The Engine SPI (start a run, stream its log, events and outputs, cancel it) and its
 * implementations, engine.ansible and engine.kubernetes; knows nothing of HTTP or of the
 * database.
 */
package hosting.aegir.backend.engine;
