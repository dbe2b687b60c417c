package io.splice.connectors.featurestore;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Retries of the Feature Store runtime calls: the AWS SDK's standard retry strategy, configured from
 * {@code featurestore.retry.*}. The SDK decides what is retried (its throttling detection: throttling error codes and
 * HTTP 429; 500/502/503/504; I/O errors and attempt timeouts; clock skew) and waits between attempts. What the sink
 * adds is what happens after the SDK gave up: an authentication or authorization failure fails the task
 * ({@link #fatal}), anything else sends the record to the dead-letter queue with {@link #describe}'s reason.
 */
final class FeatureStoreRetries {
    /** Error codes that mean the credentials or permissions are wrong: no record could be written. */
    private static final Set<String> FATAL_CODES = Set.of("AccessForbidden", "AccessDeniedException", "AccessDenied",
            "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch", "ExpiredToken",
            "ExpiredTokenException", "InvalidClientTokenId", "MissingAuthenticationToken", "IncompleteSignature");

    private static final ExecutionAttribute<Boolean> ATTEMPTED = new ExecutionAttribute<>("splice.featurestore.attempted");

    private FeatureStoreRetries() {
    }

    /**
     * The SDK's standard strategy with the AWS retry conditions, {@code maxAttempts} attempts and the same backoff for
     * throttling and other errors. The retry quota (circuit breaker) is off: after a burst of failures it stops
     * retrying, which would send records to the dead-letter queue while the store is only throttling.
     *
     * <p>Not the SDK's adaptive strategy: its client-side rate limit is shared by every call of the client (all the
     * task's feature groups) and falls to 0.5 requests/s under sustained throttling. Measured with
     * {@code bench/sinks/run.sh --quick --only online --throttle 0.05 --set ...} against the local endpoint (5 % of
     * calls throttled at random, 10 ms latency): the standard strategy wrote 1,280 records at 64 in flight in about a
     * second, the adaptive one did not write the 2,000 warm-up records in 5 minutes.
     */
    static RetryStrategy strategy(int maxAttempts, BackoffStrategy backoff) {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).backoffStrategy(backoff)
                .throttlingBackoffStrategy(backoff).circuitBreakerEnabled(false).build();
    }

    /**
     * Exponential backoff with jitter: before attempt n + 1 a random delay in [d/2, d], d = min(max, initial * 2^(n-1)).
     * {@code computeDelay(k)} is the delay before attempt k (zero for k = 1).
     */
    static BackoffStrategy backoff(long initialMs, long maxMs) {
        if (initialMs <= 0 || maxMs <= 0) {
            return BackoffStrategy.retryImmediately();
        }
        return BackoffStrategy.exponentialDelayHalfJitter(Duration.ofMillis(initialMs),
                Duration.ofMillis(Math.max(initialMs, maxMs)));
    }

    /** True for a failure no retry or dead letter can fix: the credentials or permissions are wrong. */
    static boolean fatal(Throwable t) {
        if (t instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            return code != null && FATAL_CODES.contains(code) || e.statusCode() == 401 || e.statusCode() == 403;
        }
        return false;
    }

    /** The reason of a dead letter: the error, and how many attempts the SDK made if it retried. */
    static String describe(Throwable t) {
        String why = t instanceof AwsServiceException e && e.awsErrorDetails() != null
                ? e.awsErrorDetails().errorCode() + " (HTTP " + e.statusCode() + "): " + e.awsErrorDetails().errorMessage()
                : t.getClass().getSimpleName() + ": " + (t instanceof SdkException s ? s.rawMessage() : t.getMessage());
        Integer attempts = t instanceof SdkException s ? s.numAttempts() : null;
        return attempts != null && attempts > 1 ? "gave up after " + attempts + " attempts: " + why : why;
    }

    /** The SDK's error type of an attempt it classified as throttled (its own throttling detection). */
    private static final String THROTTLING = "Throttling";

    /**
     * Counts the attempts the store refused as throttled (ThrottlingException and the like, HTTP 429) into
     * {@code throttles}, from the SDK's per-attempt metrics: the same classification its retry strategy uses. A
     * subset of the attempts that failed, distinct from the retries (a throttled last attempt is not retried).
     */
    static MetricPublisher throttleCounter(AtomicLong throttles) {
        return new MetricPublisher() {
            @Override
            public void publish(MetricCollection call) {
                call.childrenWithName("ApiCallAttempt")
                        .filter(attempt -> attempt.metricValues(CoreMetric.ERROR_TYPE).contains(THROTTLING))
                        .forEach(attempt -> throttles.incrementAndGet());
            }

            @Override
            public void close() {
            }
        };
    }

    /** Counts the attempts after the first of every call (the retries) into {@code retries}. */
    static ExecutionInterceptor retryCounter(AtomicLong retries) {
        return new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                if (attributes.getAttribute(ATTEMPTED) != null) {
                    retries.incrementAndGet();
                } else {
                    attributes.putAttribute(ATTEMPTED, Boolean.TRUE);
                }
            }
        };
    }
}
