package io.splice.avro.serde;

import org.apache.avro.Schema;

/** The part of the Confluent Schema Registry REST API that Splice needs. Implementations cache ids and schemas. */
public interface SchemaRegistryClient {

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** Returns the id of {@code schema} if it is already registered under {@code subject}. */
    int lookup(String subject, Schema schema);

    /** Returns the schema with global id {@code id}. */
    Schema getById(int id);
}
