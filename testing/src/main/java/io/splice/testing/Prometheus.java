package io.splice.testing;

/** Samples of a Prometheus text-format scrape ({@code name{labels} value} lines). */
public final class Prometheus {
    private Prometheus() {
    }

    /** The body of {@code GET /metrics} on {@code port}. */
    public static String scrape(int port) throws Exception {
        return Http.get(port, "/metrics").body();
    }

    /** The value of the sample {@code nameAndLabels}, written as in the scrape (e.g. {@code m{join="a.v1"}}); NaN when absent. */
    public static double value(String scrape, String nameAndLabels) {
        return scrape.lines().filter(l -> l.startsWith(nameAndLabels + " ")).mapToDouble(Prometheus::sampleValue)
                .findFirst().orElse(Double.NaN);
    }

    /** The sum of every sample of {@code name}, whatever its labels; 0 when there is none. */
    public static double sum(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).mapToDouble(Prometheus::sampleValue).sum();
    }

    private static double sampleValue(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
