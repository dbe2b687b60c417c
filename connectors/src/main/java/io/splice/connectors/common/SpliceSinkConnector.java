package io.splice.connectors.common;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What both Splice sinks do as connectors: validate the configuration when started (a bad setting or definitions
 * file fails the connector, not each task later) and give every task the same configuration; Connect spreads the
 * topic partitions over the tasks.
 */
public abstract class SpliceSinkConnector extends SinkConnector {
    private final Class<? extends Task> taskClass;
    private final ConfigDef configDef;
    private final Consumer<Map<String, String>> validate;
    private Map<String, String> props;

    protected SpliceSinkConnector(Class<? extends Task> taskClass, ConfigDef configDef, Consumer<Map<String, String>> validate) {
        this.taskClass = taskClass;
        this.configDef = configDef;
        this.validate = validate;
    }

    @Override
    public void start(Map<String, String> props) {
        validate.accept(props);
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return taskClass;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            out.add(new HashMap<>(props));
        }
        return out;
    }

    @Override
    public void stop() {
        // nothing held: the tasks own their clients
    }

    @Override
    public ConfigDef config() {
        return configDef;
    }

    @Override
    public String version() {
        return Version.get();
    }
}
