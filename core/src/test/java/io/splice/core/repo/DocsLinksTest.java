package io.splice.core.repo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every relative link and anchor in README.md and docs/**&#47;*.md resolves: the linked file exists (relative to the
 * page, inside the repository), and a {@code #anchor} names a heading of the target page (GitHub's slug: lowercase,
 * characters other than letters, digits, spaces, hyphens and underscores dropped, spaces as hyphens, repeated
 * headings suffixed -1, -2, …) or an explicit {@code <a name=…>} / {@code id=…}. Links with a scheme (http, https,
 * mailto, …) and anything inside fenced code blocks or inline code are not checked. README.md stays under 15,000
 * bytes: the rest lives in docs/.
 */
class DocsLinksTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final long README_MAX_BYTES = 15_000;

    @Test
    void everyRelativeLinkAndAnchorInReadmeAndDocsResolves() {
        List<String> broken = DocLinks.check(ROOT);
        assertTrue(broken.isEmpty(), broken.size() + " broken link(s) in README.md and docs/:\n" + String.join("\n", broken));
    }

    @Test
    void readmeIsUnder15000Bytes() throws IOException {
        long size = Files.size(ROOT.resolve("README.md"));
        assertTrue(size < README_MAX_BYTES, "README.md is " + size + " bytes; keep it under " + README_MAX_BYTES
                + " (what Splice is, the quick start, the tour, the module map, links) and move the rest to docs/");
    }

    @Test
    void theCheckerFindsEveryKindOfBrokenLinkAndNothingElse(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs/sub"));
        Files.createDirectories(root.resolve("core/src"));
        Files.writeString(root.resolve("core/src/Main.java"), "class Main {}");
        Files.writeString(root.resolve("README.md"), String.join("\n",
                "# Title",
                "",
                "## Code `and` stuff!",
                "",
                "[ok file](docs/a.md) [ok dup](docs/a.md#same-1) [ok same page](#code-and-stuff)",
                "[ok explicit](docs/a.md#explicit) [ok id](docs/a.md#by-id) [ok dir](docs/sub/) [ok code](core/src/Main.java)",
                "[web](https://example.invalid/missing.md) [mail](mailto:x@example.invalid) `[in code](missing-1.md)`",
                "```",
                "[in a fence](missing-2.md)",
                "```",
                "[bad file](docs/missing.md)",
                "[bad anchor",
                "over two lines](#nope) [bad dup](docs/a.md#same-2) [outside](../outside.md)",
                "[ref]: docs/missing-ref.md",
                ""));
        Files.writeString(root.resolve("docs/a.md"), String.join("\n",
                "# Same",
                "",
                "## Same",
                "",
                "<a name=\"explicit\"></a>**Explicit.** <span id=\"by-id\">x</span>",
                "",
                "[up](../README.md#title) [up bad](../README.md#code-and-stuff-1) [sub](sub/) [deeper](../core/src/Main.java)",
                "[bad code path](core/src/Main.java)",
                ""));
        List<String> broken = DocLinks.check(root);
        assertEquals(List.of(
                "README.md:11: [bad file](docs/missing.md): no file docs/missing.md",
                "README.md:12: [bad anchor over two lines](#nope): no heading or anchor 'nope' in README.md",
                "README.md:13: [bad dup](docs/a.md#same-2): no heading or anchor 'same-2' in docs/a.md",
                "README.md:13: [outside](../outside.md): points outside the repository",
                "README.md:14: [ref](docs/missing-ref.md): no file docs/missing-ref.md",
                "docs/a.md:7: [up bad](../README.md#code-and-stuff-1): no heading or anchor 'code-and-stuff-1' in README.md",
                "docs/a.md:8: [bad code path](core/src/Main.java): no file docs/core/src/Main.java"), broken);
    }

    @Test
    void slugsFollowGitHub() {
        assertEquals("definitions-joinsyaml", DocLinks.slug("Definitions (`joins.yaml`)"));
        assertEquals("1-stitch-throughput--benchstitchrunsh-1000000-logs",
                DocLinks.slug("1. Stitch throughput — `bench/stitch/run.sh` (1,000,000 logs)"));
        assertEquals("iam-least-privilege", DocLinks.slug("IAM (least privilege)"));
        assertEquals("see-the-docs", DocLinks.slug("See [the docs](x.md)"));
        assertEquals("snake_case-name", DocLinks.slug("snake_case name"));
    }

    /** The checker: parses Markdown just enough to find links, headings and explicit anchors outside code. */
    static final class DocLinks {
        static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
        static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
        static final Pattern SETEXT = Pattern.compile("^ {0,3}(=+|-+)[ \\t]*$");
        static final Pattern CODE_SPAN = Pattern.compile("(?<!`)(`+)(?!`)((?:(?!\\n[ \\t]*\\n).)+?)(?<!`)\\1(?!`)", Pattern.DOTALL);
        static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);
        /** [text](dest "title"), also images; the text may hold one level of brackets and span lines. */
        static final Pattern INLINE = Pattern.compile(
                "!?\\[((?:[^\\[\\]]|\\[[^\\[\\]]*\\])*)\\]\\(\\s*(<[^>\\n]*>|[^\\s()]+(?:\\([^\\s()]*\\)[^\\s()]*)*)"
                        + "(?:\\s+(?:\"[^\"]*\"|'[^']*'|\\([^)]*\\)))?\\s*\\)");
        static final Pattern REFERENCE = Pattern.compile("(?m)^ {0,3}\\[([^\\]]+)\\]:[ \\t]*(<[^>\\n]*>|\\S+)");
        static final Pattern HTML_LINK = Pattern.compile("<(?:a|img)\\b[^>]*?\\s(?:href|src)\\s*=\\s*[\"']([^\"']*)[\"']",
                Pattern.CASE_INSENSITIVE);
        static final Pattern HTML_ANCHOR = Pattern.compile("<[a-zA-Z][^>]*?\\s(?:name|id)\\s*=\\s*[\"']([^\"']+)[\"']");
        static final Pattern SCHEME = Pattern.compile("^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)");

        /** Every broken relative link of README.md and docs/**.md under root, as "file:line: [text](dest): why". */
        static List<String> check(Path root) {
            Path rootReal = root.toAbsolutePath().normalize();
            List<Path> pages = new ArrayList<>();
            if (Files.exists(rootReal.resolve("README.md"))) {
                pages.add(rootReal.resolve("README.md"));
            }
            Path docs = rootReal.resolve("docs");
            if (Files.isDirectory(docs)) {
                try (Stream<Path> s = Files.walk(docs)) {
                    s.filter(p -> p.toString().endsWith(".md") && Files.isRegularFile(p)).sorted().forEach(pages::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            Map<Path, Set<String>> anchors = new HashMap<>();
            List<String> broken = new ArrayList<>();
            for (Path page : pages) {
                String original = read(page);
                for (Link link : links(prose(original), original)) {
                    String why = problem(rootReal, page, link.dest, anchors);
                    if (why != null) {
                        broken.add(rel(rootReal, page) + ":" + link.line + ": [" + link.text + "](" + link.dest + "): " + why);
                    }
                }
            }
            return broken;
        }

        record Link(int line, String text, String dest) {}

        /** The links of a page, found in its prose (code blanked out), quoted from the original at the same offsets. */
        static List<Link> links(String prose, String original) {
            List<Link> out = new ArrayList<>();
            for (Matcher m = INLINE.matcher(prose); m.find(); ) {
                String text = original.substring(m.start(1), m.end(1)).replaceAll("\\s+", " ").strip();
                out.add(new Link(lineOf(prose, m.start()), text, unangle(original.substring(m.start(2), m.end(2)))));
            }
            for (Matcher m = REFERENCE.matcher(prose); m.find(); ) {
                out.add(new Link(lineOf(prose, m.start()), original.substring(m.start(1), m.end(1)),
                        unangle(original.substring(m.start(2), m.end(2)))));
            }
            for (Matcher m = HTML_LINK.matcher(prose); m.find(); ) {
                out.add(new Link(lineOf(prose, m.start()), "<html>", original.substring(m.start(1), m.end(1))));
            }
            out.sort((a, b) -> Integer.compare(a.line, b.line));
            return out;
        }

        /** Why dest, written on page, does not resolve; null when it does (or is not a relative link). */
        static String problem(Path root, Path page, String dest, Map<Path, Set<String>> anchors) {
            if (dest.isEmpty() || SCHEME.matcher(dest).find()) {
                return null;
            }
            int hash = dest.indexOf('#');
            String path = decode(hash < 0 ? dest : dest.substring(0, hash));
            String fragment = hash < 0 ? null : decode(dest.substring(hash + 1));
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            Path target;
            if (path.isEmpty()) {
                target = page;
            } else {
                target = (path.startsWith("/") ? root.resolve(path.substring(1)) : page.getParent().resolve(path)).normalize();
                if (!target.startsWith(root)) {
                    return "points outside the repository";
                }
                if (!Files.exists(target)) {
                    return "no file " + rel(root, target);
                }
            }
            if (fragment == null || fragment.isEmpty() || !target.toString().endsWith(".md") || !Files.isRegularFile(target)) {
                return null; // anchors are checked in Markdown pages only (not, say, a source file's #L10)
            }
            Set<String> known = anchors.computeIfAbsent(target, t -> anchorsOf(read(t)));
            return known.contains(fragment) ? null : "no heading or anchor '" + fragment + "' in " + rel(root, target);
        }

        /** The anchors of a page: its headings' slugs (repeats suffixed -1, -2, …) and explicit name/id attributes. */
        static Set<String> anchorsOf(String markdown) {
            Set<String> out = new LinkedHashSet<>();
            Map<String, Integer> seen = new HashMap<>();
            String prose = prose(markdown);
            String[] lines = prose.split("\n", -1);
            String[] raw = markdown.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String heading = null;
                Matcher atx = ATX.matcher(lines[i]);
                if (atx.matches() && !lines[i].isBlank()) {
                    heading = raw[i].replaceFirst("^ {0,3}#{1,6}[ \\t]*", "").replaceFirst("(?:[ \\t]+#+)?[ \\t]*$", "");
                } else if (i > 0 && SETEXT.matcher(lines[i]).matches() && !lines[i].isBlank() && setextText(lines[i - 1])) {
                    heading = raw[i - 1].strip();
                }
                if (heading != null) {
                    String slug = slug(heading);
                    int n = seen.merge(slug, 1, Integer::sum) - 1;
                    out.add(n == 0 ? slug : slug + "-" + n);
                }
            }
            for (Matcher m = HTML_ANCHOR.matcher(prose); m.find(); ) {
                out.add(m.group(1));
            }
            return out;
        }

        static boolean setextText(String previous) {
            String p = previous.strip();
            return !p.isEmpty() && !p.startsWith("|") && !p.startsWith("#") && !p.startsWith(">")
                    && !p.matches("^([-*+]|\\d+[.)])(\\s.*)?$") && !FENCE.matcher(previous).find();
        }

        /** GitHub's heading anchor: rendered text, lowercased, only letters, digits, spaces, '-', '_', spaces as '-'. */
        static String slug(String heading) {
            String text = heading
                    .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1") // links and images: their text
                    .replaceAll("<[^>]+>", ""); // inline HTML tags
            text = text.strip().toLowerCase(Locale.ROOT);
            text = text.replaceAll("[^\\p{L}\\p{N} _-]", "");
            return text.replace(' ', '-');
        }

        /** The page with fenced code blocks, inline code and HTML comments blanked out (offsets and lines kept). */
        static String prose(String markdown) {
            String[] lines = markdown.split("\n", -1);
            StringBuilder out = new StringBuilder(markdown.length());
            String fence = null;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                Matcher f = FENCE.matcher(line);
                if (fence == null && f.find()) {
                    fence = f.group(1);
                    line = " ".repeat(line.length());
                } else if (fence != null) {
                    String l = line.strip();
                    if (l.startsWith(fence) && l.chars().allMatch(c -> c == l.charAt(0))) {
                        fence = null;
                    }
                    line = " ".repeat(line.length());
                }
                out.append(line);
                if (i < lines.length - 1) {
                    out.append('\n');
                }
            }
            return blank(blank(out.toString(), COMMENT), CODE_SPAN);
        }

        static String blank(String text, Pattern p) {
            Matcher m = p.matcher(text);
            StringBuilder sb = new StringBuilder(text.length());
            int last = 0;
            while (m.find()) {
                sb.append(text, last, m.start());
                for (int k = m.start(); k < m.end(); k++) {
                    sb.append(text.charAt(k) == '\n' ? '\n' : ' ');
                }
                last = m.end();
            }
            return sb.append(text.substring(last)).toString();
        }

        static int lineOf(String text, int offset) {
            int line = 1;
            for (int k = 0; k < offset; k++) {
                if (text.charAt(k) == '\n') {
                    line++;
                }
            }
            return line;
        }

        static String unangle(String dest) {
            return dest.startsWith("<") && dest.endsWith(">") ? dest.substring(1, dest.length() - 1) : dest;
        }

        static String decode(String s) {
            try {
                return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return s;
            }
        }

        static String rel(Path root, Path p) {
            return root.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/');
        }

        static String read(Path p) {
            try {
                return Files.readString(p).replace("\r\n", "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
