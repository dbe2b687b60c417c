package io.splice.local.featurestore;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.DescribeFeatureGroupResponse;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;
import software.amazon.awssdk.services.sagemaker.model.ResourceNotFoundException;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.BatchGetRecordResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ExpirationTimeResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.GetRecordResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ServiceUnavailableException;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TargetStore;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TtlDurationUnit;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ValidationErrorException;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local Feature Store endpoint, driven by the unchanged AWS SDK v2 clients. */
class FeatureStoreEndpointTest {
    private static final StaticCredentialsProvider CREDS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));

    private MutableClock clock;
    private FeatureStoreEndpoint endpoint;
    private SageMakerFeatureStoreRuntimeClient runtime;
    private SageMakerClient control;

    @BeforeEach
    void start() {
        clock = new MutableClock(Instant.parse("2025-10-01T12:00:00Z"));
        endpoint = FeatureStoreEndpoint.builder().clock(clock).start();
        endpoint.createFeatureGroup(FeatureGroupSpec.of("cards", "card_id", "EventTime")
                .withFeature("card_id", "String").withFeature("EventTime", "String")
                .withFeature("count", "Integral").withFeature("score", "Fractional").withFeature("segment", "String"));
        runtime = SageMakerFeatureStoreRuntimeClient.builder().endpointOverride(endpoint.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(CREDS).httpClientBuilder(ApacheHttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
        control = SageMakerClient.builder().endpointOverride(endpoint.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(CREDS).httpClientBuilder(ApacheHttpClient.builder()).build();
    }

    @AfterEach
    void stop() {
        runtime.close();
        control.close();
        endpoint.close();
    }

    private void put(String id, String eventTime, long count) {
        runtime.putRecord(b -> b.featureGroupName("cards").record(
                fv("card_id", id), fv("EventTime", eventTime), fv("count", Long.toString(count)), fv("score", "0.25")));
    }

    private static FeatureValue fv(String name, String value) {
        return FeatureValue.builder().featureName(name).valueAsString(value).build();
    }

    private Map<String, String> get(String id) {
        GetRecordResponse r = runtime.getRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString(id));
        return r.hasRecord() ? r.record().stream().collect(Collectors.toMap(FeatureValue::featureName, FeatureValue::valueAsString)) : Map.of();
    }

    @Test
    void putThenGetReturnsTheRecordAndAFeatureNameFilterSelectsFeatures() {
        // Given a record put through the SDK
        put("c1", "2025-10-01T10:00:00.000Z", 3);

        // When it is read back, whole and filtered
        Map<String, String> whole = get("c1");
        GetRecordResponse some = runtime.getRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString("c1")
                .featureNames("count"));

        // Then the values are as put, and the filter returns only the named feature
        assertEquals(Map.of("card_id", "c1", "EventTime", "2025-10-01T10:00:00.000Z", "count", "3", "score", "0.25"), whole);
        assertEquals(List.of("count"), some.record().stream().map(FeatureValue::featureName).toList());
        assertFalse(runtime.getRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString("nobody")).hasRecord());
    }

    @Test
    void anOlderEventTimeDoesNotOverwriteANewerOne() {
        // Given a record at 10:00
        put("c1", "2025-10-01T10:00:00Z", 5);

        // When an older (09:00) and then a newer (11:00) record arrive
        put("c1", "2025-10-01T09:00:00Z", 1);
        Map<String, String> afterOlder = get("c1");
        put("c1", "2025-10-01T11:00:00Z", 7);

        // Then the older one is accepted but not applied; the newer one wins
        assertEquals("5", afterOlder.get("count"));
        assertEquals("7", get("c1").get("count"));
        assertEquals(List.of(true, false, true), endpoint.writes().stream().map(w -> w.applied()).toList());
    }

    @Test
    void softDeleteRemovesTheRecordUnlessItIsOlderThanTheRecordAndHardDeleteOfANewerRecordIsRefused() {
        put("c1", "2025-10-01T10:00:00Z", 5);
        put("c2", "2025-10-01T10:00:00Z", 6);

        // When c1 is deleted with an older EventTime, then with a newer one
        runtime.deleteRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString("c1").eventTime("2025-10-01T09:00:00Z"));
        boolean survivedOlderDelete = !get("c1").isEmpty();
        runtime.deleteRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString("c1").eventTime("2025-10-01T10:30:00Z"));

        // Then only the newer delete removes it, and a put older than the delete does not bring it back
        assertTrue(survivedOlderDelete);
        assertTrue(get("c1").isEmpty());
        put("c1", "2025-10-01T10:15:00Z", 9);
        assertTrue(get("c1").isEmpty());

        // And a hard delete older than the record is a ValidationError
        ValidationErrorException e = assertThrows(ValidationErrorException.class, () -> runtime.deleteRecord(b -> b
                .featureGroupName("cards").recordIdentifierValueAsString("c2").eventTime("2025-10-01T09:00:00Z")
                .deletionMode("HardDelete")));
        assertEquals(400, e.statusCode());
        assertFalse(get("c2").isEmpty());
    }

    @Test
    void recordsExpireAtEventTimePlusTtl() {
        // Given a record put with a one hour TTL
        runtime.putRecord(b -> b.featureGroupName("cards").record(fv("card_id", "c1"), fv("EventTime", "2025-10-01T11:30:00Z"))
                .ttlDuration(t -> t.unit(TtlDurationUnit.HOURS).value(1)));
        GetRecordResponse before = runtime.getRecord(b -> b.featureGroupName("cards").recordIdentifierValueAsString("c1")
                .expirationTimeResponse(ExpirationTimeResponse.ENABLED));

        // When the clock passes 12:30
        clock.set(Instant.parse("2025-10-01T12:30:00Z"));

        // Then it is gone
        assertEquals("2025-10-01T12:30:00Z", before.expiresAt());
        assertTrue(get("c1").isEmpty());
    }

    @Test
    void batchGetRecordReturnsTheRecordsAndAnErrorForAnUnknownGroup() {
        put("c1", "2025-10-01T10:00:00Z", 1);
        put("c2", "2025-10-01T10:00:00Z", 2);

        BatchGetRecordResponse r = runtime.batchGetRecord(b -> b.identifiers(
                i -> i.featureGroupName("cards").recordIdentifiersValueAsString("c1", "c2", "c3").featureNames("count"),
                i -> i.featureGroupName("nope").recordIdentifiersValueAsString("x")));

        assertEquals(Map.of("c1", "1", "c2", "2"), r.records().stream().collect(Collectors.toMap(
                d -> d.recordIdentifierValueAsString(), d -> d.record().get(0).valueAsString())));
        assertEquals(1, r.errors().size());
        assertEquals("ResourceNotFound", r.errors().get(0).errorCode());
    }

    @Test
    void errorsCarryTheAwsErrorTypes() {
        // Unknown group, undefined feature, wrong type, bad event time
        var notFound = assertThrows(software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ResourceNotFoundException.class,
                () -> runtime.putRecord(b -> b.featureGroupName("nope").record(fv("a", "b"))));
        assertEquals(404, notFound.statusCode());
        assertThrows(ValidationErrorException.class, () -> runtime.putRecord(b -> b.featureGroupName("cards")
                .record(fv("card_id", "c1"), fv("EventTime", "2025-10-01T10:00:00Z"), fv("unknown", "1"))));
        ValidationErrorException wrongType = assertThrows(ValidationErrorException.class, () -> runtime.putRecord(b -> b
                .featureGroupName("cards").record(fv("card_id", "c1"), fv("EventTime", "2025-10-01T10:00:00Z"), fv("count", "x"))));
        assertTrue(wrongType.awsErrorDetails().errorMessage().contains("Integral"), wrongType.getMessage());
        assertThrows(ValidationErrorException.class, () -> runtime.putRecord(b -> b.featureGroupName("cards")
                .record(fv("card_id", "c1"), fv("EventTime", "yesterday"))));

        // Injected faults: throttling as a 400 ThrottlingException, unavailability as a 503
        endpoint.faults().throttle(1.0);
        AwsServiceException throttled = assertThrows(AwsServiceException.class, () -> put("c1", "2025-10-01T10:00:00Z", 1));
        assertEquals(400, throttled.statusCode());
        assertEquals("ThrottlingException", throttled.awsErrorDetails().errorCode());
        assertTrue(throttled.isThrottlingException());
        endpoint.faults().clear().unavailable(1.0);
        ServiceUnavailableException unavailable = assertThrows(ServiceUnavailableException.class, () -> put("c1", "2025-10-01T10:00:00Z", 1));
        assertEquals(503, unavailable.statusCode());
        endpoint.faults().clear();
        put("c1", "2025-10-01T10:00:00Z", 1);
        assertEquals("1", get("c1").get("count"));
    }

    @Test
    void targetStoresWithoutTheOnlineStoreLeaveTheOnlineStoreAlone() {
        runtime.putRecord(b -> b.featureGroupName("cards").record(fv("card_id", "c1"), fv("EventTime", "2025-10-01T10:00:00Z"))
                .targetStores(TargetStore.OFFLINE_STORE));
        assertTrue(get("c1").isEmpty());
    }

    @Test
    void theControlPlaneDescribesCreatesAndListsFeatureGroups() {
        // When a group is described
        DescribeFeatureGroupResponse d = control.describeFeatureGroup(b -> b.featureGroupName("cards"));

        // Then its identifier, event time and definitions are those registered
        assertEquals("card_id", d.recordIdentifierFeatureName());
        assertEquals("EventTime", d.eventTimeFeatureName());
        assertEquals(FeatureType.INTEGRAL, d.featureDefinitions().stream().filter(f -> f.featureName().equals("count"))
                .findFirst().orElseThrow().featureType());
        assertTrue(d.featureGroupArn().endsWith("feature-group/cards"));
        assertThrows(ResourceNotFoundException.class, () -> control.describeFeatureGroup(b -> b.featureGroupName("nope")));

        // And a group created through the SDK takes records
        control.createFeatureGroup(b -> b.featureGroupName("users").recordIdentifierFeatureName("user_id")
                .eventTimeFeatureName("ts").featureDefinitions(
                        f -> f.featureName("user_id").featureType(FeatureType.STRING),
                        f -> f.featureName("ts").featureType(FeatureType.FRACTIONAL)));
        runtime.putRecord(b -> b.featureGroupName("users").record(fv("user_id", "u1"), fv("ts", "1759320000.5")));
        assertTrue(runtime.getRecord(b -> b.featureGroupName("users").recordIdentifierValueAsString("u1")).hasRecord());
        assertEquals(List.of("cards", "users"), control.listFeatureGroups(b -> { }).featureGroupSummaries().stream()
                .map(s -> s.featureGroupName()).toList());
    }

    @Test
    void recordsSurviveARestartWhenPersistedAndUnknownGroupsAreCreatedOnFirstPutWhenAsked(@TempDir Path dir) {
        Path file = dir.resolve("featurestore.json");
        try (FeatureStoreEndpoint first = FeatureStoreEndpoint.builder().persistTo(file).autoCreateFeatureGroups("EventTime").start();
             SageMakerFeatureStoreRuntimeClient c = client(first)) {
            c.putRecord(b -> b.featureGroupName("auto_v1").record(fv("user_id", "u1"), fv("EventTime", "2025-10-01T10:00:00Z"),
                    fv("x", "1")));
        }
        try (FeatureStoreEndpoint second = FeatureStoreEndpoint.builder().persistTo(file).start()) {
            assertEquals("user_id", second.featureGroup("auto_v1").orElseThrow().recordIdentifierFeatureName());
            assertEquals("1", second.record("auto_v1", "u1").orElseThrow().get("x"));
        }
    }

    private static SageMakerFeatureStoreRuntimeClient client(FeatureStoreEndpoint e) {
        return SageMakerFeatureStoreRuntimeClient.builder().endpointOverride(e.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(CREDS).httpClientBuilder(ApacheHttpClient.builder()).build();
    }

    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @SuppressWarnings("unused")
    private static Duration hour() {
        return Duration.ofHours(1);
    }
}
