package io.splice.connectors.s3;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Opens Parquet writers on local files through parquet's Hadoop-free API. */
final class ParquetFiles {
    private ParquetFiles() {
    }

    static ParquetWriter<GenericRecord> open(Path file, Schema schema, CompressionCodecName codec, long rowGroupBytes)
            throws IOException {
        PlainParquetConfiguration conf = new PlainParquetConfiguration(Map.of(
                "parquet.avro.write-old-list-structure", "false",
                "parquet.avro.add-list-element-records", "false"));
        return AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
                .withSchema(schema)
                .withDataModel(GenericData.get())
                .withConf(conf)
                .withCodecFactory(new PureJavaCodecs())
                .withCompressionCodec(codec)
                .withRowGroupSize(rowGroupBytes)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }
}
