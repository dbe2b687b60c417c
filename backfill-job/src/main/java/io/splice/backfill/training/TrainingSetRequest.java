package io.splice.backfill.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code splice training-set} is asked for, independent of the command line: the manifest stores it and
 * {@code --from-manifest} runs it again.
 *
 * @param servedOnly     null: off; empty: every non-external feature; else the features that must come from the log
 * @param offline        the offline table (the S3 sink's prefix, or the join's folder itself); null: the join's
 *                       {@code offline.s3_prefix}
 * @param writtenColumn  the column saying when a revision was written (null: {@code stitched_at}, else
 *                       {@code log_append_time}, if the table has one)
 * @param labelRowIds    the label table's columns holding the row ids, in the join's {@code row_ids} order (empty:
 *                       the same names)
 * @param sampleRate     null: no sampling
 */
public record TrainingSetRequest(String join, String version, LocalDate startDate, LocalDate endDate, String offline,
                                 Instant asOf, String writtenColumn, List<String> servedOnly, String labels,
                                 List<String> labelColumns, List<String> labelRowIds, String labelTsColumn,
                                 boolean requireLabels, Double sampleRate, long seed, String format,
                                 boolean withSources, boolean allowMissing) {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    public TrainingSetRequest {
        servedOnly = servedOnly == null ? null : List.copyOf(servedOnly);
        labelColumns = labelColumns == null ? List.of() : List.copyOf(labelColumns);
        labelRowIds = labelRowIds == null ? List.of() : List.copyOf(labelRowIds);
        labelTsColumn = labelTsColumn == null ? "ts" : labelTsColumn;
        format = format == null ? "parquet" : format;
    }

    public List<java.time.LocalDate> days() {
        List<LocalDate> days = new ArrayList<>();
        for (LocalDate d = startDate; !d.isAfter(endDate); d = d.plusDays(1)) {
            days.add(d);
        }
        return days;
    }

    public ObjectNode toJson() {
        ObjectNode o = F.objectNode();
        o.put("join", join);
        o.put("version", version);
        o.put("start_date", startDate.toString());
        o.put("end_date", endDate.toString());
        o.put("offline", offline);
        o.put("as_of", asOf == null ? null : asOf.toString());
        o.put("written_column", writtenColumn);
        if (servedOnly == null) {
            o.putNull("served_only");
        } else {
            ArrayNode a = o.putArray("served_only");
            servedOnly.forEach(a::add);
        }
        o.put("labels", labels);
        labelColumns.forEach(o.putArray("label_columns")::add);
        ArrayNode ids = o.putArray("label_row_ids");
        labelRowIds.forEach(ids::add);
        o.put("label_ts_column", labelTsColumn);
        o.put("require_labels", requireLabels);
        if (sampleRate == null) {
            o.putNull("sample_rate");
        } else {
            o.put("sample_rate", sampleRate);
        }
        o.put("seed", seed);
        o.put("format", format);
        o.put("with_sources", withSources);
        o.put("allow_missing", allowMissing);
        return o;
    }

    public static TrainingSetRequest fromJson(JsonNode o) {
        return new TrainingSetRequest(text(o, "join"), text(o, "version"), LocalDate.parse(text(o, "start_date")),
                LocalDate.parse(text(o, "end_date")), text(o, "offline"),
                text(o, "as_of") == null ? null : Instant.parse(text(o, "as_of")), text(o, "written_column"),
                o.path("served_only").isArray() ? strings(o.get("served_only")) : null, text(o, "labels"),
                strings(o.path("label_columns")), strings(o.path("label_row_ids")), text(o, "label_ts_column"),
                o.path("require_labels").asBoolean(false),
                o.hasNonNull("sample_rate") ? o.get("sample_rate").asDouble() : null, o.path("seed").asLong(0),
                text(o, "format"), o.path("with_sources").asBoolean(false), o.path("allow_missing").asBoolean(false));
    }

    private static String text(JsonNode o, String f) {
        return o.hasNonNull(f) ? o.get(f).asText() : null;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        if (a != null && a.isArray()) {
            a.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
