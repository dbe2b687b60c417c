package io.splice.connectors.s3;

import io.airlift.compress.Compressor;
import io.airlift.compress.snappy.SnappyCompressor;
import io.airlift.compress.zstd.ZstdCompressor;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

/**
 * Page compression for the Parquet writer without Hadoop's codec classes (and without native libraries):
 * SNAPPY (raw block, as parquet-java writes it) and ZSTD (one frame) through aircompressor, GZIP through
 * {@code java.util.zip}. Write-only: readers use their own codecs.
 */
final class PureJavaCodecs implements CompressionCodecFactory {

    static boolean supports(CompressionCodecName name) {
        return switch (name) {
            case UNCOMPRESSED, SNAPPY, ZSTD, GZIP -> true;
            default -> false;
        };
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName name) {
        return switch (name) {
            case UNCOMPRESSED -> new Block(name, null);
            case SNAPPY -> new Block(name, new SnappyCompressor());
            case ZSTD -> new Block(name, new ZstdCompressor());
            case GZIP -> new Gzip();
            default -> throw new IllegalArgumentException("Unsupported Parquet codec " + name
                    + " (supported: UNCOMPRESSED, SNAPPY, ZSTD, GZIP)");
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName name) {
        throw new UnsupportedOperationException("write-only codec factory");
    }

    @Override
    public void release() {
    }

    private static final class Block implements BytesInputCompressor {
        private final CompressionCodecName name;
        private final Compressor compressor;
        private byte[] out = new byte[0];

        Block(CompressionCodecName name, Compressor compressor) {
            this.name = name;
            this.compressor = compressor;
        }

        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            if (compressor == null) {
                return bytes;
            }
            byte[] in = bytes.toByteArray();
            int max = compressor.maxCompressedLength(in.length);
            if (out.length < max) {
                out = new byte[max];
            }
            int n = compressor.compress(in, 0, in.length, out, 0, out.length);
            // the writer may keep the returned bytes until the row group is flushed: hand out a copy
            return BytesInput.from(java.util.Arrays.copyOf(out, n));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return name;
        }

        @Override
        public void release() {
        }
    }

    private static final class Gzip implements BytesInputCompressor {
        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.max(64, bytes.size() / 2));
            try (GZIPOutputStream gz = new GZIPOutputStream(buf)) {
                bytes.writeAllTo(gz);
            }
            return BytesInput.from(buf.toByteArray());
        }

        @Override
        public CompressionCodecName getCodecName() {
            return CompressionCodecName.GZIP;
        }

        @Override
        public void release() {
        }
    }
}
