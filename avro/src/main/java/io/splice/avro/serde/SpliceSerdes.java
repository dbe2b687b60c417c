package io.splice.avro.serde;

import io.splice.avro.FeatureRow;
import io.splice.avro.FetchLog;
import io.splice.avro.StitchedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Ready serdes for the three Splice records, all sharing one registry client. */
public final class SpliceSerdes {
    private SpliceSerdes() {
    }

    public static Serde<FetchLog> fetchLog(SchemaRegistryClient client) {
        return Serdes.serdeFrom(new SpliceAvroSerializer<>(client), SpliceAvroDeserializer.of(client, FetchLog.class));
    }

    public static Serde<FeatureRow> featureRow(SchemaRegistryClient client) {
        return Serdes.serdeFrom(new SpliceAvroSerializer<>(client), SpliceAvroDeserializer.of(client, FeatureRow.class));
    }

    public static Serde<StitchedRecord> stitchedRecord(SchemaRegistryClient client) {
        return Serdes.serdeFrom(new SpliceAvroSerializer<>(client), SpliceAvroDeserializer.of(client, StitchedRecord.class));
    }

    /** A bootstrap topic carries either plain {@link FeatureRow}s or another join's {@link StitchedRecord}s. */
    public static Serde<SpecificRecord> bootstrapRecord(SchemaRegistryClient client) {
        return Serdes.serdeFrom(new SpliceAvroSerializer<>(client),
                SpliceAvroDeserializer.<SpecificRecord>of(client, FeatureRow.class, StitchedRecord.class));
    }
}
