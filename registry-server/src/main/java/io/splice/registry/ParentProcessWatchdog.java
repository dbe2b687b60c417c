package io.splice.registry;

import io.quarkus.runtime.StartupEvent;

import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.event.Observes;
import java.util.Optional;

/**
 * Stops the registry when the process that started it is gone, so that no registry outlives its test run
 * or demo, even when that JVM was killed abruptly. Active only when the system property
 * {@code splice.parent.pid} is set (splice-local's EmbeddedSchemaRegistry sets it).
 */
@ApplicationScoped
public class ParentProcessWatchdog {

    void onStart(@Observes StartupEvent event) {
        String pid = System.getProperty("splice.parent.pid");
        if (pid == null || pid.isBlank()) {
            return;
        }
        Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(pid.trim()));
        if (parent.isEmpty() || !parent.get().isAlive()) {
            exit();
            return;
        }
        parent.get().onExit().thenRun(ParentProcessWatchdog::exit);
    }

    private static void exit() {
        Thread t = new Thread(() -> System.exit(0), "splice-parent-gone");
        t.setDaemon(true);
        t.start();
    }
}
