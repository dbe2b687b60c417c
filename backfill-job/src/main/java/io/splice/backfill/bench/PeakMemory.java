package io.splice.backfill.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Peak memory of this JVM over one benchmark run: in {@code local[n]} mode the driver and the executors are this
 * JVM. Heap: the sum of the heap pools' peaks since {@link #reset()} (pools peak at different moments, so this is
 * an upper bound of the heap used at any one instant; with G1 it is mostly how far eden was let grow before a young
 * collection). Old generation: its own peak, closer to what the run kept alive. RSS: Linux's VmHWM, reset by writing
 * 5 to /proc/self/clear_refs; -1 where that is unavailable.
 */
final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    record Peak(long heapBytes, long oldGenBytes, long rssBytes) {
        Peak max(Peak o) {
            return o == null ? this : new Peak(Math.max(heapBytes, o.heapBytes), Math.max(oldGenBytes, o.oldGenBytes),
                    Math.max(rssBytes, o.rssBytes));
        }
    }

    private final List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
    private boolean rssReset;

    /**
     * Starts a measurement. A full GC first, so that a run does not inherit the garbage of the previous one and
     * G1 gives back the heap the previous (possibly larger) run committed: otherwise the RSS baseline of a small run
     * after a big one would be the big one's.
     */
    void reset() {
        System.gc();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        try {
            Files.writeString(CLEAR_REFS, "5");
            rssReset = true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            rssReset = false; // VmHWM would then be the process's lifetime peak: report none rather than that
        }
    }

    /** The peaks since {@link #reset()}. */
    Peak read() {
        long sum = 0;
        long old = 0;
        for (MemoryPoolMXBean p : heap) {
            long used = p.getPeakUsage().getUsed();
            sum += used;
            if (p.getName().contains("Old Gen") || p.getName().contains("Tenured")) {
                old = Math.max(old, used);
            }
        }
        return new Peak(sum, old, rssReset ? status("VmHWM:") : -1);
    }

    static String mb(long bytes) {
        return bytes < 0 ? "n/a" : String.valueOf(Math.round(bytes / 1048576.0));
    }

    /** The 1-minute load average, to tell a run on a busy machine from a slow one. */
    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /** A /proc/self/status field in bytes (the file gives kB), or -1. */
    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
