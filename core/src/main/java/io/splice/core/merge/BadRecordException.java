package io.splice.core.merge;

/** A record that cannot be merged (DESIGN §5.10). {@link #reason()} is a short code, the message says what and where. */
public class BadRecordException extends RuntimeException {
    public static final String UNDECODABLE = "undecodable";
    public static final String MISSING_ROW_ID = "missing-row-id";
    public static final String WRONG_TYPE = "wrong-type";
    public static final String UNKNOWN_FEATURE = "unknown-feature";
    public static final String MISSING_KEY = "missing-key";
    public static final String BAD_KEY = "bad-key";
    public static final String BAD_TIMESTAMP = "bad-timestamp";
    public static final String TOO_LARGE = "too-large";
    public static final String EMPTY_VALUE = "empty-value";
    public static final String ROW_EVICTED = "row-evicted";
    public static final String ROW_TOO_LARGE = "row-too-large";

    private final String reason;

    public BadRecordException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    /** {@code reason: message}, as written to the {@code splice.error} header. */
    public String describe() {
        return reason + ": " + getMessage();
    }
}
