package io.splice.core.merge;

import java.util.Map;

/**
 * One source's record for a row: its time, keys, feature values (already promoted to the declared types; a
 * feature present with a null value was recorded as null) and the part hashes it carries (null: a plain table).
 */
public record SourceRecord(long ts, Map<String, String> keys, Map<String, Object> values, Map<String, String> partHashes) {
}
