package io.splice.backfill.bench;

import io.splice.backfill.TestSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The executors' peaks of the backfill bench: per run, per executor, then the largest and the sum. */
class ExecutorPeaksTest {
    private static final long MB = 1 << 20;

    @Test
    void peaksAreSegmentedByRunAndAggregatedOverExecutors() {
        ExecutorPeaks.Tally t = new ExecutorPeaks.Tally();
        t.stage(1, "run-a");
        t.stage(2, "run-a");
        t.stage(3, "run-b");
        t.stage(4, null); // a job outside any run
        t.task(1, "0", 100 * MB, 1000 * MB, 10, 1, 0);
        t.task(2, "0", 300 * MB, 1200 * MB, 4000, 300, 64 * MB);
        t.task(1, "1", 200 * MB, 900 * MB, 10, 1, 0);
        t.task(1, "driver", 900 * MB, 9000 * MB, 20, 2, 0); // left out of the peaks, not of the work
        t.task(3, "0", 5000 * MB, 5000 * MB, 10, 1, 0); // another run on the same executor
        t.task(4, "1", 7000 * MB, 7000 * MB, 10, 1, 0);
        t.task(99, "1", 8000 * MB, 8000 * MB, 10, 1, 0); // a stage no job announced

        ExecutorPeaks.Report a = t.take("run-a", Set.of("driver"));
        assertEquals(List.of(new ExecutorPeaks.Executor("0", 300 * MB, 1200 * MB, 2),
                new ExecutorPeaks.Executor("1", 200 * MB, 900 * MB, 1)), a.executors());
        assertEquals(new ExecutorPeaks.Summary(2, 300 * MB, 500 * MB, 1200 * MB, 2100 * MB), a.summary());
        assertEquals(new ExecutorPeaks.Work(4, 4040, 4000, 304, 64 * MB), a.work());
        assertEquals(java.util.Map.of(1, new ExecutorPeaks.Work(3, 40, 20, 4, 0), 2, new ExecutorPeaks.Work(1, 4000, 4000, 300, 64 * MB)),
                a.stages());
        assertEquals(new ExecutorPeaks.Summary(1, 5000 * MB, 5000 * MB, 5000 * MB, 5000 * MB),
                t.take("run-b", Set.of("driver")).summary());
        assertEquals(List.of(), t.take("run-a", Set.of("driver")).executors(), "a run is reported once");
    }

    @Test
    void anExecutorWithoutPollsLeavesTheSumUnknown() {
        ExecutorPeaks.Tally t = new ExecutorPeaks.Tally();
        t.stage(1, "run");
        t.task(1, "0", 0, 0, 10, 1, 0); // the task ended before the executor's first poll
        t.task(1, "1", 100 * MB, 0, 10, 1, 0);
        ExecutorPeaks.Summary s = t.take("run", Set.of()).summary();
        assertEquals(new ExecutorPeaks.Summary(2, 100 * MB, -1, -1, -1), s);
        assertEquals("n/a", PeakMemory.mb(s.sumHeapBytes()));
        assertEquals(new ExecutorPeaks.Summary(0, -1, -1, -1, -1), t.take("none", Set.of()).summary());
    }

    @Test
    void theBestOfTwoRunsKeepsEachLargerPeak() {
        ExecutorPeaks.Summary a = new ExecutorPeaks.Summary(2, 300, 500, 1200, 2000);
        ExecutorPeaks.Summary b = new ExecutorPeaks.Summary(2, 400, 450, 1100, 2100);
        assertEquals(new ExecutorPeaks.Summary(2, 400, 500, 1200, 2100), a.max(b));
        assertEquals(a, a.max(null));
    }

    /**
     * The listener on a real (local) context: after {@link ExecutorPeaks#settle} every task of a run's jobs is
     * counted for that run and none of another run's. The local session polls no metrics, so values are not checked
     * here (the tally test above does).
     */
    @Test
    void theListenerCountsEachRunsTasksOnceSettled() throws InterruptedException {
        SparkSession spark = TestSpark.session();
        ExecutorPeaks p = new ExecutorPeaks(Set.of()); // in local mode every task runs on the driver
        spark.sparkContext().addSparkListener(p);
        try {
            p.settle(spark, true, Duration.ofMinutes(1));
            job(spark, "run-a", 4);
            job(spark, "run-b", 3);
            job(spark, "run-a", 2);
            p.settle(spark, false, Duration.ofMinutes(1));
            ExecutorPeaks.Report a = p.take("run-a");
            assertEquals(1, a.executors().size());
            assertEquals("driver", a.executors().get(0).id());
            assertEquals(6, a.executors().get(0).tasks());
            assertEquals(6, a.work().tasks());
            assertEquals(3, p.take("run-b").executors().get(0).tasks());
            assertTrue(p.take("run-a").executors().isEmpty());
        } finally {
            spark.sparkContext().removeSparkListener(p);
        }
    }

    private static void job(SparkSession spark, String group, int tasks) {
        spark.sparkContext().setJobGroup(group, group, false);
        try {
            assertEquals(tasks, spark.range(0, tasks * 10L, 1, tasks).javaRDD().map(x -> x + 1).count() / 10);
        } finally {
            spark.sparkContext().clearJobGroup();
        }
    }
}
