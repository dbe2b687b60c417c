package io.splice.backfill;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JvmFlagsTest {
    @Test
    @DisplayName("jvm-flags.txt is one line holding Spark's module flags, the same as the tests run with")
    void flagsFile() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("jvm-flags.txt"));
        assertEquals(1, lines.size());
        String flags = lines.get(0);
        assertEquals(System.getProperty("spark.jvm.flags"), flags, "pom's spark.jvm.flags and jvm-flags.txt agree");
        for (String pkg : List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
                "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch",
                "sun.nio.cs", "sun.security.action", "sun.util.calendar")) {
            assertTrue(flags.contains("--add-opens=java.base/" + pkg + "=ALL-UNNAMED"), pkg);
        }
        assertTrue(flags.contains("--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED"));
        assertTrue(flags.startsWith("-XX:+IgnoreUnrecognizedVMOptions -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"));
    }
}
