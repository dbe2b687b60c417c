package io.splice.backfill.run;

import io.splice.backfill.compute.FeatureEngine;
import io.splice.backfill.io.DayTable;
import io.splice.backfill.io.OutputStore;
import io.splice.backfill.io.OutputStore.DayStatus;
import io.splice.backfill.io.OutputStore.Marker;
import io.splice.core.api.JoinDefinition;
import io.splice.core.api.PartDefinition;
import io.splice.core.api.Topics;
import io.splice.core.definitions.SemanticHasher;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a {@code splice backfill} run will do, decided before anything runs: the chunks and, per chunk, its action
 * (skip / compute / overwrite / publish) from the output days' {@code _SUCCESS} markers; the inputs with the day
 * partitions found and missing (events with their lookback); the part hashes; where hole filling reads coverage; the
 * topic. Built by {@link Builder#build(DiskState)} from the options and what exists on disk, and validated while it is
 * built: {@link #problems()} lists every problem at once (not just the first), {@link #warnings()} what runs anyway.
 * {@link #lines()} is the plan as {@code --dry-run} prints it and as {@link BackfillExecutor} logs it at start.
 */
public final class BackfillPlan {

    /** What a chunk's run does. */
    public enum Action {
        /** Every day complete with the current part hashes (and published, when publishing): nothing to do. */
        SKIP,
        /** Compute the chunk: its days are new, or some are interrupted, stale or partial (see the chunk's reasons). */
        COMPUTE,
        /** {@code --overwrite}: recompute and replace days that already have output. */
        OVERWRITE,
        /** Every day complete but not yet published to the topic: publish the existing output, compute nothing. */
        PUBLISH
    }

    /**
     * One chunk: the status of each of its days (from the output's markers), the action, and whether its rows are
     * published ({@code --publish}: computed rows, or the existing rows of a {@link Action#PUBLISH} chunk).
     */
    public record ChunkPlan(Chunk chunk, Map<LocalDate, DayStatus> days, Action action, boolean publish) {
        public ChunkPlan {
            days = Collections.unmodifiableMap(new LinkedHashMap<>(days));
        }

        /** The statuses that make the chunk run, in day order, once each (none for a complete chunk). */
        public Set<DayStatus> reasons() {
            Set<DayStatus> why = new LinkedHashSet<>();
            days.values().stream().filter(s -> s != DayStatus.COMPLETE).forEach(why::add);
            return why;
        }

        /** Whether the run computes the chunk (rather than skipping it or publishing what exists). */
        public boolean computes() {
            return action == Action.COMPUTE || action == Action.OVERWRITE;
        }

        /** The action as the plan prints it: {@code compute}, {@code recompute (interrupted run)}, {@code complete, skip}… */
        public String describe() {
            String what = switch (action) {
                case SKIP -> "complete, skip";
                case PUBLISH -> "publish existing output";
                case OVERWRITE -> "recompute (--overwrite)";
                case COMPUTE -> {
                    Set<DayStatus> why = reasons();
                    why.remove(DayStatus.ABSENT);
                    yield why.isEmpty() ? "compute"
                            : "recompute (" + String.join(", ", why.stream().map(BackfillPlan::reason).toList()) + ")";
                }
            };
            return publish && computes() ? what + " + publish" : what;
        }
    }

    /** Why a day is computed again, as the plan prints it. */
    static String reason(DayStatus s) {
        return switch (s) {
            case PARTIAL -> "was computed --only-uncovered";
            case STALE -> "definition changed since";
            case INCOMPLETE -> "interrupted run";
            case ABSENT -> "new";
            case COMPLETE -> "complete";
        };
    }

    /**
     * An input table: the left rows ({@code part} null) or a part's events. {@code needed}: the days the range needs
     * (events: the range plus the part's longest window; all days found before the range when unbounded);
     * {@code missing}: those without a partition. {@code estimate}: rows and bytes of the days found (dry run only).
     */
    public record Input(String part, String label, String root, String format, List<LocalDate> needed,
                        List<LocalDate> missing, Estimate estimate) {
        public Input {
            needed = List.copyOf(needed);
            missing = List.copyOf(missing);
        }

        public int found() {
            return needed.size() - missing.size();
        }

        /** How problems name the input: {@code left rows (<root>)} or {@code part card_txn (<root>)}. */
        public String name() {
            return (part == null ? "left rows" : "part " + part) + " (" + root + ")";
        }

        String missingMessage() {
            return String.format(Locale.ROOT, "%s is missing input partition%s for %s", name(), missing.size() == 1 ? "" : "s",
                    DayTable.ranges(missing));
        }
    }

    /** Estimated rows ({@code null}: unknown, e.g. compressed JSON) and bytes of an input's days. */
    public record Estimate(Long rows, long bytes) {
    }

    /** Where {@code --publish} sends the rows. */
    public record Publish(String topic, String bootstrapServers, String registryUrl) {
    }

    private final JoinDefinition join;
    private final LocalDate start;
    private final LocalDate end;
    private final int chunkSizeDays;
    private final String engine;
    private final String tsColumn;
    private final boolean dryRun;
    private final String outputDir;
    private final List<PartDefinition> parts;
    private final List<String> externalParts;
    private final Map<String, String> partHashes;
    private final Input leftRows;
    private final Map<String, Input> partInputs;
    private final List<ChunkPlan> chunks;
    private final boolean onlyUncovered;
    private final double consistencySample;
    private final String stitched;
    private final Publish publish;
    private final List<String> problems;
    private final List<String> warnings;
    private final boolean missingInputs;

    private BackfillPlan(Builder b, String outputDir, List<PartDefinition> parts, List<String> externalParts,
                         Map<String, String> partHashes, Input leftRows, Map<String, Input> partInputs,
                         List<ChunkPlan> chunks, String stitched, Publish publish, List<String> problems,
                         List<String> warnings, boolean missingInputs) {
        this.join = b.join;
        this.start = b.start;
        this.end = b.end;
        this.chunkSizeDays = b.chunkSizeDays;
        this.engine = b.engine;
        this.tsColumn = b.tsColumn;
        this.dryRun = b.dryRun;
        this.outputDir = outputDir;
        this.parts = List.copyOf(parts);
        this.externalParts = List.copyOf(externalParts);
        this.partHashes = Collections.unmodifiableMap(new LinkedHashMap<>(partHashes));
        this.leftRows = leftRows;
        this.partInputs = Collections.unmodifiableMap(new LinkedHashMap<>(partInputs));
        this.chunks = List.copyOf(chunks);
        this.onlyUncovered = b.onlyUncovered;
        this.consistencySample = b.onlyUncovered ? b.consistencySample : 0;
        this.stitched = stitched;
        this.publish = publish;
        this.problems = List.copyOf(problems);
        this.warnings = List.copyOf(warnings);
        this.missingInputs = missingInputs;
    }

    public static Builder builder(JoinDefinition join, LocalDate start, LocalDate end) {
        return new Builder(join, start, end);
    }

    public JoinDefinition join() {
        return join;
    }

    public String engine() {
        return engine;
    }

    public String tsColumn() {
        return tsColumn;
    }

    public String outputDir() {
        return outputDir;
    }

    /** The parts computed (every part that is not external), in definition order. */
    public List<PartDefinition> parts() {
        return parts;
    }

    public List<String> externalParts() {
        return externalParts;
    }

    /** Current semantic hash of each computed part: what the output's {@code part_hashes} and markers carry. */
    public Map<String, String> partHashes() {
        return partHashes;
    }

    /** The left rows' input; null when nothing is planned (see {@link #nothingToDo()}) or the range is invalid. */
    public Input leftRows() {
        return leftRows;
    }

    /** The events' input of each computed part, by part name. */
    public Map<String, Input> partInputs() {
        return partInputs;
    }

    /** Every input: the left rows, then the parts' events. */
    public List<Input> inputs() {
        List<Input> all = new ArrayList<>();
        if (leftRows != null) {
            all.add(leftRows);
        }
        all.addAll(partInputs.values());
        return all;
    }

    public List<ChunkPlan> chunks() {
        return chunks;
    }

    public boolean onlyUncovered() {
        return onlyUncovered;
    }

    /**
     * The share of covered rows computed and published all the same (deterministic by row key), so that the app can
     * compare served with computed values (online/offline consistency); 0: none. Only with --only-uncovered.
     */
    public double consistencySample() {
        return consistencySample;
    }

    /** The stitched output hole filling reads (only with --only-uncovered). */
    public String stitched() {
        return stitched;
    }

    /** Where rows are published; null without --publish. */
    public Publish publish() {
        return publish;
    }

    /** Every problem found; the plan must not run unless this is empty. */
    public List<String> problems() {
        return problems;
    }

    /** What is not as asked but runs anyway (e.g. missing partitions with --allow-missing, an unused --input). */
    public List<String> warnings() {
        return warnings;
    }

    /** The chunks that run (compute, overwrite or publish). */
    public long chunksToRun() {
        return chunks.stream().filter(c -> c.action() != Action.SKIP).count();
    }

    /** Why nothing is planned: every part of the join is external (never backfilled). */
    public Optional<String> nothingToDo() {
        return parts.isEmpty()
                ? Optional.of(String.format(Locale.ROOT, "%s has only external parts (%s): they are never backfilled, nothing to do",
                join.id(), String.join(", ", externalParts)))
                : Optional.empty();
    }

    /** The plan, one line per item (header, hashes, inputs, chunks, coverage, topic); empty when the range is invalid. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        if (chunks.isEmpty()) {
            nothingToDo().ifPresent(out::add);
            return out;
        }
        int days = chunks.stream().mapToInt(c -> c.chunk().days().size()).sum();
        out.add(String.format(Locale.ROOT, "Backfill %s → %s, %s..%s (%d day%s) in %d chunk%s of up to %d day%s, engine %s%s",
                join.id(), outputDir, start, end, days, days == 1 ? "" : "s", chunks.size(), chunks.size() == 1 ? "" : "s",
                chunkSizeDays, chunkSizeDays == 1 ? "" : "s", engine, dryRun ? " (dry run)" : ""));
        out.add(String.format(Locale.ROOT, "  part hashes: %s%s", partHashes,
                externalParts.isEmpty() ? "" : "; external, never computed: " + String.join(", ", externalParts)));
        for (Input in : inputs()) {
            String range = in.needed().isEmpty() ? "" : in.needed().get(0) + ".." + in.needed().get(in.needed().size() - 1);
            String estimate = in.estimate() == null ? ""
                    : ", ~" + (in.estimate().rows() == null ? "?" : Fmt.count(in.estimate().rows())) + " rows, "
                    + Fmt.bytes(in.estimate().bytes());
            out.add(String.format(Locale.ROOT, "  %s: %s [%s] %s: %d of %d day partitions found%s%s", in.label(), in.root(),
                    in.format(), range, in.found(), in.needed().size(), estimate,
                    in.missing().isEmpty() ? "" : "; missing " + DayTable.ranges(in.missing())));
        }
        for (ChunkPlan c : chunks) {
            Chunk k = c.chunk();
            out.add(String.format(Locale.ROOT, "  chunk %d/%d %s: %s → %s", k.index(), k.total(), k.label(), c.describe(),
                    k.start().equals(k.end()) ? day(k.start()) : day(k.start()) + " … " + OutputStore.dayName(k.end())));
        }
        if (onlyUncovered && stitched != null) {
            out.add("  only uncovered rows: coverage from the stitched output at " + stitched);
        }
        if (publish != null) {
            out.add(String.format(Locale.ROOT, "  publish: %s (compacted, created if missing) via %s, schema registry %s",
                    publish.topic(), publish.bootstrapServers(), publish.registryUrl()));
        }
        return out;
    }

    /** The problems as printed: one {@code error: …} line each, then how to run without missing partitions. */
    public List<String> problemLines() {
        List<String> out = new ArrayList<>();
        problems.forEach(p -> out.add("error: " + p));
        if (missingInputs && !problems.isEmpty()) {
            out.add("error: missing input partitions (pass --allow-missing to run without them)");
        }
        return out;
    }

    /** The warnings as printed: one {@code warning: …} line each. */
    public List<String> warningLines() {
        return warnings.stream().map(w -> "warning: " + w).toList();
    }

    /** The plan, its warnings and its problems as one block of text (how the executor logs it). */
    @Override
    public String toString() {
        List<String> all = new ArrayList<>(lines());
        all.addAll(warningLines());
        all.addAll(problemLines());
        return String.join("\n", all);
    }

    private String day(LocalDate d) {
        return outputDir + "/" + OutputStore.dayName(d);
    }

    /**
     * Days of events a range needs: from the start minus the longest window to the end; from the first day found
     * (or the start, if earlier) when the window is unbounded.
     */
    public static List<LocalDate> eventDays(SortedSet<LocalDate> found, Duration longest, LocalDate start, LocalDate end) {
        LocalDate from;
        if (longest == null) {
            from = found.isEmpty() || found.first().isAfter(start) ? start : found.first();
        } else {
            from = LocalDateTime.of(start, LocalTime.MIDNIGHT).minus(longest).toLocalDate();
        }
        List<LocalDate> out = new ArrayList<>();
        for (LocalDate d = from; !d.isAfter(end); d = d.plusDays(1)) {
            out.add(d);
        }
        return out;
    }

    static String join(String root, String child) {
        return root.endsWith("/") ? root + child : root + "/" + child;
    }

    /** The options of a run; {@link #build(DiskState)} plans it against what exists. */
    public static final class Builder {
        private final JoinDefinition join;
        private final LocalDate start;
        private final LocalDate end;
        private int chunkSizeDays = 1;
        private String inputRoot = "data";
        private String left;
        private List<String> inputs = List.of();
        private String format = "auto";
        private String tsColumn = "ts";
        private String engine = "sweep";
        private boolean overwrite;
        private boolean allowMissing;
        private boolean onlyUncovered;
        private double consistencySample;
        private String stitched;
        private boolean publish;
        private String topicPrefix = Topics.DEFAULT_PREFIX;
        private String bootstrapServers;
        private String registryUrl;
        private String publishProblem;
        private boolean dryRun;

        private Builder(JoinDefinition join, LocalDate start, LocalDate end) {
            this.join = join;
            this.start = start;
            this.end = end;
        }

        public Builder chunkSizeDays(int days) {
            this.chunkSizeDays = days;
            return this;
        }

        /** Where inputs live by default: {@code <root>/<source>}, {@code <root>/<join>_rows}. */
        public Builder inputRoot(String root) {
            this.inputRoot = root;
            return this;
        }

        /** The left rows' table (default {@code <input-root>/<join>_rows}); null for the default. */
        public Builder left(String path) {
            this.left = path;
            return this;
        }

        /** {@code PART=PATH} or {@code SOURCE=PATH} (a part's name wins over a source's); a bare {@code PATH} sets the input root. */
        public Builder inputs(List<String> inputs) {
            this.inputs = List.copyOf(inputs);
            return this;
        }

        public Builder format(String format) {
            this.format = format;
            return this;
        }

        public Builder tsColumn(String column) {
            this.tsColumn = column;
            return this;
        }

        public Builder engine(String engine) {
            this.engine = engine;
            return this;
        }

        public Builder overwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        public Builder allowMissing(boolean allowMissing) {
            this.allowMissing = allowMissing;
            return this;
        }

        /** Hole filling: coverage from {@code stitched} (null: the join's {@code offline.s3_prefix}). */
        public Builder onlyUncovered(boolean onlyUncovered, String stitched) {
            this.onlyUncovered = onlyUncovered;
            this.stitched = stitched;
            return this;
        }

        /** {@code --consistency-sample R}: also compute this share of the covered rows (see {@link #consistencySample()}). */
        public Builder consistencySample(double rate) {
            this.consistencySample = rate;
            return this;
        }

        /**
         * {@code --publish} to {@code <prefix>.backfill.<name>.<version>} via these brokers and registry;
         * {@code problem}: why the connection settings are unusable (null when they are fine).
         */
        public Builder publish(String topicPrefix, String bootstrapServers, String registryUrl, String problem) {
            this.publish = true;
            this.topicPrefix = topicPrefix;
            this.bootstrapServers = bootstrapServers;
            this.registryUrl = registryUrl;
            this.publishProblem = problem;
            return this;
        }

        /** A dry run: estimate the inputs' rows and bytes (reads Parquet footers, samples JSON lines). */
        public Builder dryRun(boolean dryRun) {
            this.dryRun = dryRun;
            return this;
        }

        /** Plans the run against what exists on disk and validates it, collecting every problem. */
        public BackfillPlan build(DiskState disk) {
            List<String> problems = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            List<String> rangeProblems = Chunk.problems(start, end, chunkSizeDays);
            problems.addAll(rangeProblems);
            Publish target = null;
            if (publish) {
                if (publishProblem != null) {
                    problems.add(publishProblem);
                } else {
                    target = new Publish(new Topics(topicPrefix).backfill(join), bootstrapServers, registryUrl);
                }
            }
            String stitchedPath = null;
            if (onlyUncovered) {
                stitchedPath = stitched != null ? stitched : join.offline() != null ? join.offline().s3Prefix() : null;
                if (stitchedPath == null) {
                    problems.add("--only-uncovered needs --stitched PATH (or offline.s3_prefix in the join)");
                }
            } else if (stitched != null) {
                warnings.add("--stitched " + stitched + " is read only with --only-uncovered; ignored");
            }
            if (!(consistencySample >= 0 && consistencySample <= 1)) {
                problems.add("--consistency-sample " + consistencySample + ": a share of rows in [0, 1] (e.g. 0.01)");
            } else if (consistencySample > 0 && !onlyUncovered) {
                warnings.add("--consistency-sample is read only with --only-uncovered (without it every row is computed"
                        + " and, with --publish, compared by the app); ignored");
            }
            if (!FeatureEngine.NAMES.contains(engine.toLowerCase(Locale.ROOT))) {
                problems.add("unknown --engine '" + engine + "' (expected " + String.join(" or ", FeatureEngine.NAMES) + ")");
            }

            List<PartDefinition> parts = join.parts().stream().filter(p -> !p.external()).toList();
            List<String> externals = join.parts().stream().filter(PartDefinition::external).map(PartDefinition::name).toList();
            Map<String, String> allHashes = SemanticHasher.hashes(join);
            Map<String, String> hashes = new LinkedHashMap<>();
            parts.forEach(p -> hashes.put(p.name(), allHashes.get(p.name())));

            String root = inputRoot;
            Map<String, String> named = new LinkedHashMap<>();
            for (String in : inputs) {
                int eq = in.indexOf('=');
                if (eq > 0) {
                    named.put(in.substring(0, eq).trim(), in.substring(eq + 1).trim());
                } else {
                    root = in;
                }
            }
            Set<String> known = new TreeSet<>();
            parts.forEach(p -> {
                known.add(p.name());
                known.add(p.source());
            });
            for (String name : named.keySet()) {
                if (!known.contains(name)) {
                    warnings.add("--input " + name + "=…: " + join.id() + " computes no part or source named " + name
                            + " (parts and sources: " + String.join(", ", known) + "); ignored");
                }
            }

            String dir = disk.outputDir();
            Input leftInput = null;
            Map<String, Input> partInputs = new LinkedHashMap<>();
            List<ChunkPlan> chunkPlans = new ArrayList<>();
            boolean missing = false;
            if (rangeProblems.isEmpty() && !parts.isEmpty()) {
                List<Chunk> chunks = Chunk.split(start, end, chunkSizeDays);
                List<LocalDate> allDays = new ArrayList<>();
                chunks.forEach(c -> allDays.addAll(c.days()));
                String leftPath = left != null ? left : join(root, join.name() + "_rows");
                leftInput = input(disk, null, "left rows", leftPath, allDays);
                for (PartDefinition p : parts) {
                    String path = named.containsKey(p.name()) ? named.get(p.name())
                            : named.containsKey(p.source()) ? named.get(p.source()) : join(root, p.source());
                    Duration w = p.longestWindow();
                    partInputs.put(p.name(), input(disk, p.name(), p.name() + " (" + p.source() + ", lookback " + Fmt.duration(w) + ")",
                            path, eventDays(disk.inputDays(path), w, start, end)));
                }
                List<Input> all = new ArrayList<>();
                all.add(leftInput);
                all.addAll(partInputs.values());
                for (Input in : all) {
                    if (!in.missing().isEmpty()) {
                        missing = true;
                        (allowMissing ? warnings : problems).add(in.missingMessage());
                    }
                }
                String topic = target != null ? target.topic() : null;
                for (Chunk c : chunks) {
                    chunkPlans.add(chunk(disk, c, hashes, topic));
                }
            }
            return new BackfillPlan(this, dir, parts, externals, hashes, leftInput, partInputs, chunkPlans, stitchedPath,
                    target, problems, warnings, missing);
        }

        private Input input(DiskState disk, String part, String label, String root, List<LocalDate> needed) {
            SortedSet<LocalDate> found = disk.inputDays(root);
            String fmt = disk.inputFormat(root, format);
            List<LocalDate> miss = new ArrayList<>();
            long bytes = 0;
            long rows = 0;
            boolean rowsKnown = true;
            for (LocalDate d : needed) {
                if (!found.contains(d)) {
                    miss.add(d);
                } else if (dryRun) {
                    DayTable.DayStats s = disk.inputStats(root, d, fmt);
                    bytes += s.bytes();
                    if (s.estimatedRows() == null) {
                        rowsKnown = false;
                    } else {
                        rows += s.estimatedRows();
                    }
                }
            }
            return new Input(part, label, root, fmt, needed, miss, dryRun ? new Estimate(rowsKnown ? rows : null, bytes) : null);
        }

        /**
         * A chunk's action from its days' statuses: all complete → skip (publish, when publishing and a day's marker
         * does not name the topic); --overwrite → overwrite (compute when no day has output yet); else compute.
         */
        private ChunkPlan chunk(DiskState disk, Chunk c, Map<String, String> hashes, String topic) {
            Map<LocalDate, DayStatus> days = new LinkedHashMap<>();
            boolean published = true;
            for (LocalDate d : c.days()) {
                Optional<Marker> m = disk.marker(d);
                DayStatus s = OutputStore.status(m, m.isPresent() || disk.outputDayExists(d), hashes, onlyUncovered);
                days.put(d, s);
                if (topic != null && s == DayStatus.COMPLETE
                        && (m.get().publishedTo() == null || !m.get().publishedTo().contains(topic))) {
                    published = false;
                }
            }
            boolean complete = days.values().stream().allMatch(s -> s == DayStatus.COMPLETE);
            boolean absent = days.values().stream().allMatch(s -> s == DayStatus.ABSENT);
            Action action;
            if (overwrite) {
                action = absent ? Action.COMPUTE : Action.OVERWRITE;
            } else if (complete) {
                action = publish && !published ? Action.PUBLISH : Action.SKIP;
            } else {
                action = Action.COMPUTE;
            }
            return new ChunkPlan(c, days, action, publish && action != Action.SKIP);
        }
    }
}
