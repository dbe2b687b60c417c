package io.splice.local;

/**
 * Quiets the embedded broker's loggers to WARN when log4j-core is the logging backend (the usual case
 * with log4j-slf4j2-impl). The level can be changed with the system property
 * {@code splice.local.kafka.log.level} (e.g. INFO), or left alone with {@code none}.
 */
final class KafkaLogging {

    private static final String[] LOGGERS = {"kafka", "org.apache.kafka", "state.change.logger", "kafka.request.logger"};
    private static volatile boolean done;

    private KafkaLogging() {
    }

    static void quiet() {
        if (done) {
            return;
        }
        done = true;
        String level = System.getProperty("splice.local.kafka.log.level", "WARN");
        if ("none".equalsIgnoreCase(level)) {
            return;
        }
        try {
            Class.forName("org.apache.logging.log4j.core.config.Configurator", false, KafkaLogging.class.getClassLoader());
            Log4j.setLevels(LOGGERS, level);
        } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
            // another backend: its own configuration decides
        }
    }

    /** Separate class so that log4j-core is only touched when present. */
    private static final class Log4j {
        static void setLevels(String[] loggers, String level) {
            org.apache.logging.log4j.Level l = org.apache.logging.log4j.Level.toLevel(level, org.apache.logging.log4j.Level.WARN);
            for (String logger : loggers) {
                org.apache.logging.log4j.core.config.Configurator.setLevel(logger, l);
            }
        }
    }
}
