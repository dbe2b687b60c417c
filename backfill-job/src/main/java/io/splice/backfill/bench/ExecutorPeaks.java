package io.splice.backfill.bench;

import org.apache.spark.executor.ExecutorMetrics;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Peak memory of the executors over one benchmark run, from the metrics Spark itself reports: each executor polls its
 * metrics every {@code spark.executor.metrics.pollingInterval} and returns, with every task's result, the peaks it
 * polled while that task ran ({@code SparkListenerTaskEnd.taskExecutorMetrics}): {@code JVMHeapMemory} (heap in use
 * at one instant, from the MemoryMXBean) and {@code ProcessTreeJVMRSSMemory} (resident memory of the executor's JVM,
 * from /proc, with {@code spark.executor.processTreeMetrics.enabled}). Executors outlive runs, so peaks are segmented
 * by run: a run is a job group, each task is counted for the group of the job that submitted its stage. Per run it
 * also sums where the tasks' time went (run time, GC, spill; {@link Work}), on whichever executor they ran.
 *
 * <p>Listener events arrive asynchronously; {@link #settle} runs a small job of its own and waits for its end event,
 * after which every event of the jobs before it has been delivered (the bus keeps a listener's events in order).
 */
final class ExecutorPeaks extends SparkListener {
    /** Settings that make executors poll their metrics often enough for runs of seconds (the default polls only at heartbeats, every 10 s). */
    static Map<String, String> conf(long pollMs) {
        return Map.of("spark.executor.metrics.pollingInterval", pollMs + "ms",
                "spark.executor.processTreeMetrics.enabled", "true");
    }

    /** One executor's peaks within one run; -1 where no poll reported the metric. */
    record Executor(String id, long heapBytes, long rssBytes, int tasks) {
    }

    /**
     * Where a run's task time went, over all its tasks (the driver's too): tasks, the sum and the longest of their
     * run times, their GC time and the bytes they spilled to disk.
     */
    record Work(int tasks, long runMs, long longestTaskMs, long gcMs, long diskSpillBytes) {
        static final Work NONE = new Work(0, 0, 0, 0, 0);

        /** One task's work. */
        static Work ofTask(long runMs, long gcMs, long spillBytes) {
            return new Work(1, runMs, runMs, gcMs, spillBytes);
        }

        Work plus(Work o) {
            return new Work(tasks + o.tasks, runMs + o.runMs, Math.max(longestTaskMs, o.longestTaskMs), gcMs + o.gcMs,
                    diskSpillBytes + o.diskSpillBytes);
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%d tasks, %.1f s of task time (longest %.1f s), GC %.1f s, spilled %s MB",
                    tasks, runMs / 1e3, longestTaskMs / 1e3, gcMs / 1e3, PeakMemory.mb(diskSpillBytes));
        }
    }

    /** The run's executors (ids sorted), its tasks' work and that work per stage (by stage id). */
    record Report(List<Executor> executors, Work work, Map<Integer, Work> stages) {
        Summary summary() {
            return new Summary(executors.size(), max(Executor::heapBytes), sum(Executor::heapBytes),
                    max(Executor::rssBytes), sum(Executor::rssBytes));
        }

        private long max(ToLongFunction<Executor> f) {
            return executors.stream().mapToLong(f).max().orElse(-1);
        }

        private long sum(ToLongFunction<Executor> f) {
            if (executors.isEmpty() || executors.stream().anyMatch(e -> f.applyAsLong(e) < 0)) {
                return -1; // a sum missing an executor would understate: none rather than that
            }
            return executors.stream().mapToLong(f).sum();
        }
    }

    /**
     * The executors' largest peaks and the sums of their peaks (an upper bound of what they held at one instant,
     * as each peaked on its own); -1 where not known.
     */
    record Summary(int executors, long maxHeapBytes, long sumHeapBytes, long maxRssBytes, long sumRssBytes) {
        /** The larger of two runs' figures, each on its own (same work, so either is a fair peak). */
        Summary max(Summary o) {
            return o == null ? this : new Summary(Math.max(executors, o.executors), Math.max(maxHeapBytes, o.maxHeapBytes),
                    Math.max(sumHeapBytes, o.sumHeapBytes), Math.max(maxRssBytes, o.maxRssBytes), Math.max(sumRssBytes, o.sumRssBytes));
        }
    }

    /**
     * The aggregation, apart from Spark's event classes: stages are assigned to runs as their jobs start, tasks to
     * the run of their stage; per run and executor, the largest polled value of each metric.
     */
    static final class Tally {
        private final Map<Integer, String> runOfStage = new HashMap<>();
        private final Map<String, Map<String, long[]>> peaks = new HashMap<>(); // run -> executor -> heap, rss, tasks
        private final Map<String, Map<Integer, Work>> work = new HashMap<>(); // run -> stage -> work

        synchronized void stage(int stageId, String run) {
            if (run != null) {
                runOfStage.put(stageId, run);
            }
        }

        /** A finished task's peaks (values <= 0: the executor polled nothing while it ran) and its work. */
        synchronized void task(int stageId, String executor, long heapBytes, long rssBytes, long runMs, long gcMs, long spillBytes) {
            String run = runOfStage.get(stageId);
            if (run == null) {
                return; // a stage of no run (data generation, the settle jobs)
            }
            work.computeIfAbsent(run, r -> new TreeMap<>()).merge(stageId, Work.ofTask(runMs, gcMs, spillBytes), Work::plus);
            long[] p = peaks.computeIfAbsent(run, r -> new TreeMap<>()).computeIfAbsent(executor, e -> new long[]{-1, -1, 0});
            p[0] = Math.max(p[0], heapBytes > 0 ? heapBytes : -1);
            p[1] = Math.max(p[1], rssBytes > 0 ? rssBytes : -1);
            p[2]++;
        }

        /** The run's report, forgetting the run. {@code except}: executor ids left out (the driver in local mode). */
        synchronized Report take(String run, Set<String> except) {
            runOfStage.values().removeIf(run::equals);
            Map<String, long[]> m = peaks.remove(run);
            List<Executor> out = new ArrayList<>();
            if (m != null) {
                m.forEach((id, p) -> {
                    if (!except.contains(id)) {
                        out.add(new Executor(id, p[0], p[1], (int) p[2]));
                    }
                });
            }
            Map<Integer, Work> stages = work.getOrDefault(run, Map.of());
            work.remove(run);
            Work total = Work.NONE;
            for (Work w : stages.values()) {
                total = total.plus(w);
            }
            return new Report(out, total, stages);
        }
    }

    private static final String GROUP = "spark.jobGroup.id";
    private static final String SETTLE = "splice-bench-settle-";

    private final Tally tally = new Tally();
    private final Set<String> except;
    private final Map<Integer, String> settleJobs = new HashMap<>();
    private final Set<String> settled = new HashSet<>();
    private final AtomicLong settles = new AtomicLong();

    /** @param except executor ids left out of the reports */
    ExecutorPeaks(Set<String> except) {
        this.except = except;
    }

    /** Registers a collector of the executors' peaks, not the driver's ({@link PeakMemory} measures that JVM). */
    static ExecutorPeaks register(SparkSession spark) {
        ExecutorPeaks p = new ExecutorPeaks(Set.of("driver"));
        spark.sparkContext().addSparkListener(p);
        return p;
    }

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        String group = e.properties() == null ? null : e.properties().getProperty(GROUP);
        scala.collection.Iterator<Object> ids = e.stageIds().iterator();
        while (ids.hasNext()) {
            tally.stage((Integer) ids.next(), group);
        }
        if (group != null && group.startsWith(SETTLE)) {
            synchronized (this) {
                settleJobs.put(e.jobId(), group);
            }
        }
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd e) {
        synchronized (this) {
            String group = settleJobs.remove(e.jobId());
            if (group != null) {
                settled.add(group);
                notifyAll();
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        ExecutorMetrics m = e.taskExecutorMetrics();
        TaskMetrics t = e.taskMetrics(); // null for a task that failed without metrics
        tally.task(e.stageId(), e.taskInfo().executorId(),
                m == null ? -1 : m.getMetricValue("JVMHeapMemory"),
                m == null ? -1 : m.getMetricValue("ProcessTreeJVMRSSMemory"),
                t == null ? 0 : t.executorRunTime(), t == null ? 0 : t.jvmGCTime(), t == null ? 0 : t.diskBytesSpilled());
    }

    /** The run's peaks per executor, forgetting the run. Call after {@link #settle}. */
    Report take(String run) {
        return tally.take(run, except);
    }

    /**
     * Runs one task per executor and waits until this listener has seen that job end, so that every event of the
     * jobs before it has been delivered. With {@code gc}, each task runs a full GC first, so that a run's RSS does
     * not include heap an earlier (larger) run made its executor commit: the executors' counterpart of
     * {@link PeakMemory#reset()}. Tasks without locality go one per free core, so with one core per executor each
     * executor gets one; the job is repeated (a few times at most) when one did not.
     */
    void settle(SparkSession spark, boolean gc, Duration timeout) throws InterruptedException {
        // the driver is among the executor infos; in local mode it is the only one and runs the one task
        int executors = Math.max(1, spark.sparkContext().statusTracker().getExecutorInfos().length - 1);
        Set<String> reached = new HashSet<>();
        for (int attempt = 0; attempt < 4 && reached.size() < executors; attempt++) {
            String group = SETTLE + settles.incrementAndGet();
            int n = gc ? executors : 1;
            spark.sparkContext().setJobGroup(group, "bench: settle listener events" + (gc ? ", GC executors" : ""), false);
            try {
                reached.addAll(spark.range(0, n, 1, n).javaRDD().map(x -> {
                    if (gc) {
                        System.gc();
                    }
                    return org.apache.spark.SparkEnv.get().executorId();
                }).collect());
            } finally {
                spark.sparkContext().clearJobGroup();
            }
            awaitSettled(group, timeout);
            if (!gc) {
                return;
            }
        }
    }

    private synchronized void awaitSettled(String group, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!settled.remove(group)) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("the listener did not see job group " + group + " end within " + timeout);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
