package io.splice.avro.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A registry call failed; the message names the subject (or schema id) and the HTTP status. */
public class SchemaRegistryException extends SerializationException {
    private final int status;

    public SchemaRegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public SchemaRegistryException(String message, int status) {
        this(message, status, null);
    }

    /** HTTP status, or -1 when the registry could not be reached. */
    public int status() {
        return status;
    }
}
