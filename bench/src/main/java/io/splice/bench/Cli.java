package io.splice.bench;

import picocli.CommandLine;

/**
 * The harness's command lines, parsed with picocli: each main declares its options as a {@code @Command} class
 * ({@code --name value}, {@code --name=value}, flags, comma-separated lists; unknown options are refused so that typos
 * do not go unnoticed; {@code --help} prints them with their defaults). Counts accept {@code 250k}, {@code 1M} and
 * {@code 2_000_000}.
 */
final class Cli {
    private Cli() {
    }

    /** Fills {@code options} from {@code argv}; throws picocli's {@code ParameterException} on a bad command line. */
    static <T> T parse(T options, String... argv) {
        commandLine(options).parseArgs(argv);
        return options;
    }

    /** As {@link #parse}, for a main: {@code --help} prints the usage and exits 0, a bad command line exits 2. */
    static <T> T parseOrExit(T options, String... argv) {
        CommandLine cl = commandLine(options);
        try {
            cl.parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            cl.getErr().println(e.getMessage());
            cl.usage(cl.getErr());
            System.exit(2);
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(cl.getOut());
            System.exit(0);
        }
        return options;
    }

    private static CommandLine commandLine(Object options) {
        CommandLine cl = new CommandLine(options);
        cl.registerConverter(Long.class, Cli::parseLong);
        cl.registerConverter(long.class, Cli::parseLong);
        cl.registerConverter(Integer.class, Cli::parseInt);
        cl.registerConverter(int.class, Cli::parseInt);
        return cl;
    }

    /** Accepts 250k, 1M, 2_000_000. */
    static long parseLong(String s) {
        String t = s.trim().replace("_", "").toLowerCase();
        long mult = 1;
        if (t.endsWith("k")) {
            mult = 1_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            mult = 1_000_000;
            t = t.substring(0, t.length() - 1);
        }
        return Math.multiplyExact(Long.parseLong(t), mult);
    }

    static int parseInt(String s) {
        return Math.toIntExact(parseLong(s));
    }
}
