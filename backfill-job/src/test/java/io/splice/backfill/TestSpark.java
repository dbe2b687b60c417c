package io.splice.backfill;

import io.splice.backfill.io.Sessions;
import org.apache.spark.sql.SparkSession;

/** One local[2] SparkSession for every test class of the module (surefire runs them in one JVM). */
public final class TestSpark {
    private static SparkSession spark;

    private TestSpark() {
    }

    public static synchronized SparkSession session() {
        if (spark == null) {
            spark = Sessions.local(2, 2);
            spark.conf().set("spark.sql.adaptive.enabled", "false");
            // tiny data: compiling generated code costs more than it saves
            spark.conf().set("spark.sql.codegen.wholeStage", "false");
            spark.conf().set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
            spark.sparkContext().setLogLevel("ERROR");
        }
        return spark;
    }
}
