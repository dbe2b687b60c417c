package io.splice.demo;

import io.airlift.compress.Decompressor;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Reads Parquet files as Avro records without Hadoop on the class path (the demo's classpath has none): the file
 * reader with {@link PlainParquetConfiguration}, Avro's read support, and pure-Java page decompression (aircompressor
 * for SNAPPY and ZSTD, {@code java.util.zip} for GZIP).
 */
public final class ParquetRows {
    private ParquetRows() {
    }

    /** Every record of a local file, in order. */
    public static void read(Path file, Consumer<GenericRecord> sink) {
        read(new LocalInputFile(file), file.toString(), sink);
    }

    /** Every record of an in-memory file (e.g. an object downloaded from S3), in order. */
    public static void read(byte[] bytes, String name, Consumer<GenericRecord> sink) {
        read(new BytesInputFile(bytes), name, sink);
    }

    private static void read(InputFile in, String name, Consumer<GenericRecord> sink) {
        // ParquetReader's builders name Hadoop types: go through the file reader and Avro's read support directly
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        ParquetReadOptions options = options(conf);
        try (ParquetFileReader r = ParquetFileReader.open(in, options)) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            Map<String, String> meta = r.getFooter().getFileMetaData().getKeyValueMetaData();
            AvroReadSupport<GenericRecord> support = new AvroReadSupport<>(GenericData.get());
            ReadSupport.ReadContext ctx = support.init(conf, meta, schema);
            RecordMaterializer<GenericRecord> materializer = support.prepareForRead(conf, meta, schema, ctx);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(ctx.getRequestedSchema(), schema);
            PageReadStore pages;
            while ((pages = r.readNextRowGroup()) != null) {
                RecordReader<GenericRecord> rows = io.getRecordReader(pages, materializer);
                for (long i = 0, n = pages.getRowCount(); i < n; i++) {
                    sink.accept(rows.read());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Parquet " + name + ": " + e.getMessage(), e);
        }
    }

    /** Read options through parquet-java's public builder: pure-Java decompression, no record filter. */
    static ParquetReadOptions options(ParquetConfiguration conf) {
        return new ParquetReadOptions.Builder(conf)
                .withRecordFilter(FilterCompat.NOOP)
                .withCodecFactory(new PureJavaDecompressors())
                .build();
    }

    /** An {@link InputFile} over a byte array. */
    static final class BytesInputFile implements InputFile {
        private final byte[] bytes;

        BytesInputFile(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public long getLength() {
            return bytes.length;
        }

        @Override
        public SeekableInputStream newStream() {
            SeekableByteStream s = new SeekableByteStream(bytes);
            return new DelegatingSeekableInputStream(s) {
                @Override
                public long getPos() {
                    return s.position();
                }

                @Override
                public void seek(long newPos) {
                    s.seek(newPos);
                }
            };
        }
    }

    private static final class SeekableByteStream extends ByteArrayInputStream {
        SeekableByteStream(byte[] buf) {
            super(buf);
        }

        long position() {
            return pos;
        }

        void seek(long newPos) {
            if (newPos < 0 || newPos > count) {
                throw new IllegalArgumentException("seek outside the file: " + newPos);
            }
            pos = (int) newPos;
        }
    }

    /** Decompression of Parquet pages in pure Java; this factory does not compress. */
    static final class PureJavaDecompressors implements CompressionCodecFactory {
        @Override
        public BytesInputCompressor getCompressor(CompressionCodecName codecName) {
            throw new UnsupportedOperationException("read-only codec factory");
        }

        @Override
        public BytesInputDecompressor getDecompressor(CompressionCodecName codecName) {
            return switch (codecName) {
                case UNCOMPRESSED -> new Block(null);
                case SNAPPY -> new Block(new SnappyDecompressor());
                case ZSTD -> new Block(new ZstdDecompressor());
                case GZIP -> new Gzip();
                default -> throw new UnsupportedOperationException("Parquet codec " + codecName
                        + " is not supported here (UNCOMPRESSED, SNAPPY, ZSTD, GZIP are)");
            };
        }

        @Override
        public void release() {
        }
    }

    private static final class Block implements CompressionCodecFactory.BytesInputDecompressor {
        private final Decompressor d;

        Block(Decompressor d) {
            this.d = d;
        }

        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            if (d == null) {
                return bytes;
            }
            byte[] in = bytes.toByteArray();
            byte[] out = new byte[uncompressedSize];
            int n = d.decompress(in, 0, in.length, out, 0, out.length);
            if (n != uncompressedSize) {
                throw new IOException("page decompressed to " + n + " bytes, expected " + uncompressedSize);
            }
            return BytesInput.from(out);
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize) throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            BytesInput r = decompress(BytesInput.from(in), uncompressedSize);
            output.put(r.toByteArray());
        }

        @Override
        public void release() {
        }
    }

    private static final class Gzip implements CompressionCodecFactory.BytesInputDecompressor {
        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                return BytesInput.from(in.readNBytes(uncompressedSize));
            }
        }

        @Override
        public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize) throws IOException {
            byte[] in = new byte[compressedSize];
            input.get(in);
            output.put(decompress(BytesInput.from(in), uncompressedSize).toByteArray());
        }

        @Override
        public void release() {
        }
    }
}
