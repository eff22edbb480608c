package hosting.aegir.backend.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repository stands alone and its documentation holds together: no file names a path
 * outside the repository, every relative link in a Markdown file leads to a file (and
 * heading) that exists, and the README stays a front page that links every page of
 * {@code docs/}.
 */
class DocumentationTest {

	private static final Path ROOT = Path.of("").toAbsolutePath();

	/** Folders that are not the repository's text: Git's, the build's, tools' caches. */
	private static final Set<String> SKIPPED = Set.of(".git", "target", "node_modules", ".idea", ".vscode");

	/**
	 * What a path outside the repository looks like here: the design notes beside the
	 * checkout and the machine's work folders. Written in two parts so that this file
	 * does not name them itself.
	 */
	private static final List<String> OUTSIDE = List.of(".." + "/shared", "shared/" + "ARCHITECTURE", "AEGIR3" + ".md",
			"/" + "work/");

	private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

	private static final Pattern HEADING = Pattern.compile("^#{1,6} (.+)$");

	@Test
	void noFileNamesAPathOutsideTheRepository() throws IOException {
		List<String> found = new ArrayList<>();
		for (Path file : files()) {
			String text = text(file);
			if (text == null) {
				continue;
			}
			String[] lines = text.split("\n", -1);
			for (int i = 0; i < lines.length; i++) {
				for (String outside : OUTSIDE) {
					if (lines[i].contains(outside)) {
						found.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines[i].strip());
					}
				}
			}
		}
		assertThat(found).as("lines naming a path outside the repository").isEmpty();
	}

	@Test
	void everyRelativeLinkInTheDocumentationLeadsToAFileAndHeadingThatExist() throws IOException {
		List<String> broken = new ArrayList<>();
		List<Path> markdown = files().stream().filter(f -> f.toString().endsWith(".md")).toList();
		assertThat(markdown).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/architecture.md"));
		for (Path file : markdown) {
			Matcher links = LINK.matcher(withoutCode(Files.readString(file, StandardCharsets.UTF_8)));
			while (links.find()) {
				String link = links.group(1);
				if (link.matches("^[a-z]+:.*")) {
					continue; // https:, mailto: — outside by design, not a path
				}
				int hash = link.indexOf('#');
				String path = hash < 0 ? link : link.substring(0, hash);
				String anchor = hash < 0 ? null : link.substring(hash + 1);
				Path target = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
				String where = ROOT.relativize(file) + ": (" + link + ")";
				if (!target.startsWith(ROOT) || !Files.exists(target)) {
					broken.add(where + " names no file of the repository");
				}
				else if (anchor != null && target.toString().endsWith(".md") && !anchors(target).contains(anchor)) {
					broken.add(where + " names no heading of " + ROOT.relativize(target));
				}
			}
		}
		assertThat(broken).as("links in the documentation that lead nowhere").isEmpty();
	}

	@Test
	void theReadmeIsAFrontPageThatLinksEveryPageOfDocs() throws IOException {
		String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
		assertThat(readme.lines().count()).as("lines of README.md").isLessThanOrEqualTo(250);
		assertThat(readme).contains("`./mvnw spring-boot:run`", "`./mvnw verify`");
		try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
			assertThat(pages.filter(p -> p.toString().endsWith(".md"))).isNotEmpty()
				.allSatisfy(page -> assertThat(readme).as("README.md links " + ROOT.relativize(page))
					.contains("(docs/" + page.getFileName() + ")"));
		}
	}

	/** The repository's files, without the folders that are not its text. */
	private static List<Path> files() throws IOException {
		try (Stream<Path> walk = Files.walk(ROOT)) {
			return walk.filter(Files::isRegularFile).filter(f -> {
				for (Path part : ROOT.relativize(f)) {
					if (SKIPPED.contains(part.toString())) {
						return false;
					}
				}
				return true;
			}).sorted().toList();
		}
	}

	/** The file as UTF-8 text, or null for a binary file (the wrapper's jar, images). */
	private static String text(Path file) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		for (byte b : bytes) {
			if (b == 0) {
				return null;
			}
		}
		try {
			return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
		}
		catch (CharacterCodingException ex) {
			return null;
		}
	}

	/** Markdown without its fenced code blocks, where brackets are code, not links. */
	private static String withoutCode(String markdown) {
		StringBuilder prose = new StringBuilder();
		boolean fenced = false;
		for (String line : markdown.split("\n", -1)) {
			if (line.startsWith("```")) {
				fenced = !fenced;
				continue;
			}
			if (!fenced) {
				prose.append(line).append('\n');
			}
		}
		return prose.toString();
	}

	/** The anchors GitHub makes of a Markdown file's headings. */
	private static Set<String> anchors(Path markdown) throws IOException {
		Set<String> anchors = new TreeSet<>();
		for (String line : withoutCode(Files.readString(markdown, StandardCharsets.UTF_8)).split("\n")) {
			Matcher heading = HEADING.matcher(line);
			if (heading.matches()) {
				anchors.add(heading.group(1)
					.strip()
					.toLowerCase(Locale.ROOT)
					.replaceAll("[^\\p{L}\\p{N} _-]", "")
					.replace(' ', '-'));
			}
		}
		return anchors;
	}

}
