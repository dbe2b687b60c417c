package io.splice.local.featurestore;

import java.time.Duration;
import java.util.Random;

/**
 * Fault injection of the data plane (PutRecord, GetRecord, BatchGetRecord, DeleteRecord): a share of calls is
 * refused before it does anything, with {@code ThrottlingException} (HTTP 400), {@code ServiceUnavailable} (503)
 * or {@code InternalFailure} (500), and every call can be delayed. Deterministic for a given seed and call order.
 */
public final class Faults {
    private double throttle;
    private double unavailable;
    private double internal;
    private long latencyMicros;
    private Random random = new Random(1);

    Faults() {
    }

    /** Refuses this share (0..1) of calls with ThrottlingException (HTTP 400). */
    public synchronized Faults throttle(double share) {
        this.throttle = check(share);
        return this;
    }

    /** Refuses this share (0..1) of calls with ServiceUnavailable (HTTP 503). */
    public synchronized Faults unavailable(double share) {
        this.unavailable = check(share);
        return this;
    }

    /** Refuses this share (0..1) of calls with InternalFailure (HTTP 500). */
    public synchronized Faults internalFailure(double share) {
        this.internal = check(share);
        return this;
    }

    /** Delays every data-plane call by this much before answering. */
    public synchronized Faults latency(Duration latency) {
        this.latencyMicros = latency == null ? 0 : latency.toNanos() / 1000;
        return this;
    }

    public synchronized Faults seed(long seed) {
        this.random = new Random(seed);
        return this;
    }

    /** No more faults and no latency. */
    public synchronized Faults clear() {
        throttle = 0;
        unavailable = 0;
        internal = 0;
        latencyMicros = 0;
        return this;
    }

    synchronized long latencyMicros() {
        return latencyMicros;
    }

    /** The fault to inject into the next call: null, or {status, errorType}. */
    synchronized Object[] next() {
        if (throttle == 0 && unavailable == 0 && internal == 0) {
            return null;
        }
        double x = random.nextDouble();
        if (x < throttle) {
            return new Object[]{400, "ThrottlingException", "Rate exceeded (injected)"};
        }
        if (x < throttle + unavailable) {
            return new Object[]{503, "ServiceUnavailable", "Service is unavailable (injected)"};
        }
        if (x < throttle + unavailable + internal) {
            return new Object[]{500, "InternalFailure", "Internal failure (injected)"};
        }
        return null;
    }

    private static double check(double share) {
        if (share < 0 || share > 1) {
            throw new IllegalArgumentException("share must be within [0, 1]: " + share);
        }
        return share;
    }
}
