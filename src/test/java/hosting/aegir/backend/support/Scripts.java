package hosting.aegir.backend.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Executable stand-ins (a fake drush) that tests write next to their data. */
public final class Scripts {

	private Scripts() {
	}

	public static Path write(Path dir, String name, String body) {
		try {
			Path script = dir.resolve(name);
			Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
			Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
			return script;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Whether any process's command line contains the text. */
	public static boolean processRunningWith(String text) {
		return ProcessHandle.allProcesses()
			.anyMatch(p -> p.info().commandLine().map(c -> c.contains(text)).orElse(false)
					|| p.info().arguments().map(a -> String.join(" ", a).contains(text)).orElse(false));
	}

}
