#!/usr/bin/python3
"""A non-Java producer for interop tests: Debian's python3-avro encodes, librdkafka (python3-confluent-kafka) sends
with its default partitioner (CRC32 of the key, not Java's murmur2).

usage: produce.py BOOTSTRAP REGISTRY_URL TOPIC SCHEMA.avsc < records.jsonl   ({"key": "...", "value": {...}} a line)
Registers the schema under TOPIC-value (Confluent's TopicNameStrategy), frames each value in the Confluent wire
format (magic byte 0, 4-byte schema id, Avro binary) and prints the number of records the broker acknowledged.
Exits 1 if any send failed.
"""
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Producer


def register(registry, subject, schema_text):
    body = json.dumps({"schema": schema_text}).encode()
    req = urllib.request.Request(f"{registry}/subjects/{subject}/versions", data=body, method="POST",
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["id"]


def main():
    bootstrap, registry, topic, schema_path = sys.argv[1:5]
    schema_text = open(schema_path).read()
    schema = avro.schema.parse(schema_text)
    schema_id = register(registry, f"{topic}-value", schema_text)
    writer = avro.io.DatumWriter(schema)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    acked, failed = [0], []

    def on_delivery(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            acked[0] += 1

    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, schema_id))
        writer.write(rec["value"], avro.io.BinaryEncoder(buf))
        producer.produce(topic, key=rec["key"].encode("utf-8"), value=buf.getvalue(), on_delivery=on_delivery)
        producer.poll(0)
    producer.flush(60)
    print(acked[0])
    if failed:
        print("failed sends: " + "; ".join(failed[:5]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
