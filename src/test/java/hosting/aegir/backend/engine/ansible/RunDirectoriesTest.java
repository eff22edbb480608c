package hosting.aegir.backend.engine.ansible;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Run directories and the replicas that own them: a replica that starts removes what a
 * dead predecessor left (its vars files hold secrets), and never touches a live
 * replica's.
 */
class RunDirectoriesTest {

	@TempDir
	Path work;

	@Test
	void aStartingReplicaRemovesOnlyWhatDeadReplicasLeft() throws Exception {
		// A predecessor still alive: another process holds its lock (an fcntl lock, as
		// the JVM takes).
		Path predecessor = runDirectory("aegir-runs-predecessor");
		Process holder = new ProcessBuilder("python3", "-c", """
				import fcntl, sys, time
				f = open(sys.argv[1], 'w')
				fcntl.lockf(f, fcntl.LOCK_EX)
				print('locked', flush=True)
				time.sleep(300)
				""", predecessor.resolve(".lock").toString()).start();
		try {
			assertThat(new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine())
				.isEqualTo("locked");
			Path dead = runDirectory("aegir-runs-dead");
			Path beingCreated = Files.createDirectories(work.resolve("aegir-runs-new"));
			Path abandonedUnlocked = Files.createDirectories(work.resolve("aegir-runs-old"));
			Files.setLastModifiedTime(abandonedUnlocked, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
			Path unrelated = Files.createDirectories(work.resolve("something-else"));

			RunDirectories first = new RunDirectories(properties());
			assertThat(dead).doesNotExist();
			assertThat(abandonedUnlocked).doesNotExist();
			assertThat(predecessor.resolve("aegir-op/vars.yml")).exists();
			assertThat(beingCreated).exists();
			assertThat(unrelated).exists();
			assertThat(first.root()).isDirectory().hasParent(work);

			// The predecessor dies (SIGKILL: nothing of it runs any more, its lock goes
			// with it).
			holder.destroyForcibly();
			assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
			Files.createDirectories(first.root().resolve("aegir-op-running"));

			RunDirectories second = new RunDirectories(properties());
			assertThat(predecessor).doesNotExist();
			// The first replica is alive (in this JVM): its directory stays, with its
			// run.
			assertThat(first.root().resolve("aegir-op-running")).isDirectory();

			second.destroy();
			assertThat(second.root()).doesNotExist();
			first.destroy();
			// A run outlived the first replica's shutdown: left for the next start to
			// remove.
			assertThat(first.root()).exists();
			new RunDirectories(properties()).destroy();
			assertThat(first.root()).doesNotExist();
		}
		finally {
			holder.destroyForcibly();
		}
	}

	private Path runDirectory(String name) throws Exception {
		Path dir = Files.createDirectories(work.resolve(name));
		Files.createDirectories(dir.resolve("aegir-op"));
		Files.writeString(dir.resolve("aegir-op/vars.yml"), "db_url: !unsafe \"mysql://u:secret@h/d\"\n");
		Files.createFile(dir.resolve(".lock"));
		return dir;
	}

	private AnsibleProperties properties() {
		return new AnsibleProperties(true, Path.of("ansible"), Path.of("ansible/inventory/hosts.yml"),
				java.util.List.of("ansible-playbook"), work, Duration.ofSeconds(5), true, null);
	}

}
