package hosting.aegir.backend.engine.ansible;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.springframework.util.FileSystemUtils;

/**
 * Where this replica's runs get their private directories:
 * {@code <work-directory>/aegir-runs-<random>/}, owned through a lock on its
 * {@code .lock} file that the operating system releases when the JVM dies, however it
 * dies. A replica that starts removes every such directory whose lock nobody holds: what
 * a dead predecessor left on this machine (vars files with the secrets of its runs among
 * it). Directories of live replicas, in this JVM or another, are left alone.
 */
@Component
@ConditionalOnProperty(prefix = "aegir.ansible", name = "enabled", havingValue = "true", matchIfMissing = true)
class RunDirectories implements DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(RunDirectories.class);

	static final String PREFIX = "aegir-runs-";

	static final String LOCK = ".lock";

	// A directory without a lock file yet is being created by its replica; only an old
	// one is abandoned.
	private static final Duration CREATION_GRACE = Duration.ofMinutes(1);

	private final Path root;

	private final FileChannel channel;

	private final FileLock lock;

	public RunDirectories(AnsibleProperties properties) throws IOException {
		Path work = properties.workDirectory();
		Files.createDirectories(work);
		sweep(work);
		this.root = Files.createTempDirectory(work, PREFIX,
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		this.channel = FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		this.lock = channel.tryLock();
		if (lock == null) {
			throw new IllegalStateException("could not lock the new run directory " + root);
		}
	}

	/** The directory under which this replica creates its runs' directories. */
	public Path root() {
		return root;
	}

	/** Removes the run directories of replicas that are gone; returns how many. */
	static int sweep(Path work) throws IOException {
		List<Path> candidates;
		try (Stream<Path> entries = Files.list(work)) {
			candidates = entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
				.toList();
		}
		int removed = 0;
		for (Path dir : candidates) {
			if (abandoned(dir)) {
				FileSystemUtils.deleteRecursively(dir);
				log.info("Removed the run directory {} left by a replica that is gone", dir);
				removed++;
			}
		}
		return removed;
	}

	private static boolean abandoned(Path dir) {
		Path lockFile = dir.resolve(LOCK);
		try {
			if (!Files.exists(lockFile)) {
				FileTime modified = Files.getLastModifiedTime(dir);
				return modified.toInstant().plus(CREATION_GRACE).isBefore(Instant.now());
			}
			try (FileChannel probe = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
				FileLock held = probe.tryLock();
				if (held == null) {
					return false;
				}
				held.release();
				return true;
			}
			catch (OverlappingFileLockException ex) {
				// Held by this JVM: another application context here is alive.
				return false;
			}
		}
		catch (IOException ex) {
			log.warn("Could not tell whether the run directory {} is abandoned: {}", dir, ex.getMessage());
			return false;
		}
	}

	@Override
	public void destroy() throws IOException {
		try (Stream<Path> entries = Files.list(root)) {
			boolean runsLeft = entries.anyMatch(p -> !p.getFileName().toString().equals(LOCK));
			if (!runsLeft) {
				FileSystemUtils.deleteRecursively(root);
			}
			// Otherwise a run outlived the shutdown: the next replica to start here
			// removes it.
		}
		finally {
			lock.release();
			channel.close();
		}
	}

}
