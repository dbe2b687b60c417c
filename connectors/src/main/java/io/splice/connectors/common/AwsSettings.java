package io.splice.connectors.common;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.regions.Region;

import java.net.URI;

/** Region, credentials and endpoint of an AWS client, applied to any SDK v2 client builder. */
public record AwsSettings(String region, String accessKeyId, String secretAccessKey, String endpointOverride) {

    public AwsCredentialsProvider credentials() {
        if (accessKeyId != null && !accessKeyId.isBlank()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    public <B extends AwsClientBuilder<B, ?>> B apply(B builder) {
        builder.credentialsProvider(credentials());
        if (region != null && !region.isBlank()) {
            builder.region(Region.of(region));
        }
        if (endpointOverride != null && !endpointOverride.isBlank()) {
            builder.endpointOverride(URI.create(endpointOverride));
        }
        return builder;
    }
}
