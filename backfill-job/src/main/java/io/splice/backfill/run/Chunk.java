package io.splice.backfill.run;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/** A run of consecutive days processed as one unit of work. */
public record Chunk(int index, int total, LocalDate start, LocalDate end) {
    /** What is wrong with a range and chunk size, every problem (empty: {@link #split} works). */
    public static List<String> problems(LocalDate start, LocalDate end, int days) {
        List<String> out = new ArrayList<>();
        if (end.isBefore(start)) {
            out.add("--end-date " + end + " is before --start-date " + start);
        }
        if (days < 1) {
            out.add("--chunk-size-days must be at least 1");
        }
        return out;
    }

    public static List<Chunk> split(LocalDate start, LocalDate end, int days) {
        List<String> problems = problems(start, end, days);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        List<LocalDate[]> ranges = new ArrayList<>();
        for (LocalDate d = start; !d.isAfter(end); d = d.plusDays(days)) {
            LocalDate e = d.plusDays(days - 1);
            ranges.add(new LocalDate[]{d, e.isAfter(end) ? end : e});
        }
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            out.add(new Chunk(i + 1, ranges.size(), ranges.get(i)[0], ranges.get(i)[1]));
        }
        return out;
    }

    public List<LocalDate> days() {
        List<LocalDate> out = new ArrayList<>();
        for (LocalDate d = start; !d.isAfter(end); d = d.plusDays(1)) {
            out.add(d);
        }
        return out;
    }

    public String label() {
        return start.equals(end) ? start.toString() : start + ".." + end;
    }

    public long startMillis() {
        return start.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    public long endMillisExclusive() {
        return end.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
    }
}
