package io.splice.connectors.featurestore;

import io.splice.core.api.JoinDefinition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.DescribeFeatureGroupResponse;
import software.amazon.awssdk.services.sagemaker.model.FeatureDefinition;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;
import software.amazon.awssdk.services.sagemaker.model.ResourceNotFoundException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** What the sink needs to know of a feature group: its identifier and event time features, from DescribeFeatureGroup. */
final class FeatureGroups {

    /** {@code features} is null when unknown (describe disabled). */
    record Group(String name, String recordIdentifierFeature, String eventTimeFeature, boolean eventTimeFractional,
                 Set<String> features) {
    }

    private final SageMakerClient control; // null: describe disabled
    private final String defaultEventTimeFeature;
    private final Map<String, Group> cache = new HashMap<>();

    FeatureGroups(SageMakerClient control, String defaultEventTimeFeature) {
        this.control = control;
        this.defaultEventTimeFeature = defaultEventTimeFeature;
    }

    Group of(JoinDefinition join) {
        String name = join.featureGroupName();
        Group g = cache.get(name);
        if (g != null) {
            return g;
        }
        if (control == null) {
            g = new Group(name, join.recordIdentifier(), defaultEventTimeFeature, false, null);
        } else {
            DescribeFeatureGroupResponse d;
            try {
                d = control.describeFeatureGroup(b -> b.featureGroupName(name));
            } catch (ResourceNotFoundException e) {
                throw new ConnectException("Feature group '" + name + "' of join " + join.id()
                        + " does not exist: create it (record identifier " + join.recordIdentifier() + ")", e);
            } catch (SdkClientException e) {
                throw new RetriableException("DescribeFeatureGroup " + name + " failed: " + e.getMessage(), e);
            } catch (AwsServiceException e) {
                if (e.statusCode() >= 500 || e.isThrottlingException()) {
                    throw new RetriableException("DescribeFeatureGroup " + name + " failed: " + e.getMessage(), e);
                }
                throw new ConnectException("DescribeFeatureGroup " + name + " failed: " + e.getMessage(), e);
            }
            boolean fractional = false;
            Set<String> features = new HashSet<>();
            for (FeatureDefinition fd : d.featureDefinitions()) {
                features.add(fd.featureName());
                if (fd.featureName().equals(d.eventTimeFeatureName())) {
                    fractional = fd.featureType() == FeatureType.FRACTIONAL;
                }
            }
            g = new Group(name, d.recordIdentifierFeatureName(), d.eventTimeFeatureName(), fractional,
                    features.isEmpty() ? null : features);
        }
        cache.put(name, g);
        return g;
    }
}
