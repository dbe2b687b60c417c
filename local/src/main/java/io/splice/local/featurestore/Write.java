package io.splice.local.featurestore;

import java.time.Instant;
import java.util.Map;

/**
 * One accepted write, in the order the endpoint accepted them: a PutRecord or DeleteRecord that passed
 * validation. {@code applied} says whether it changed the online store (an older EventTime does not).
 */
public record Write(long sequence, Operation operation, String featureGroup, String recordIdentifier,
                    Instant eventTime, boolean applied, Map<String, String> record) {

    public enum Operation { PUT, DELETE }
}
