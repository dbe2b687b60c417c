import json, os
# Generates the scenario folders beside it (run from anywhere): python3 scenarios/generate.py
import os as _os; _os.chdir(_os.path.dirname(_os.path.abspath(__file__)))
BASE = """joins:
  - name: payments
    version: v2
    row_ids: [request_id]
    keys: [card_id]
    bootstrap_from_log: true
    parts:
      - name: card_txn
        source: transactions
        key: card_id
        features:
          - {name: txn_count_1h, type: long, agg: count, window: 1h}
          - {name: txn_amount_24h, type: double, agg: sum, of: amount, window: 24h}
      - name: risk_ext
        external: true
        features:
          - {name: risk_score, type: double}
    bootstrap_parts:
      - topic: splice.bootstrap.high
      - topic: splice.bootstrap.low
"""
TS = 1759320000000
H = {"card_txn": "${hash:payments.v2:card_txn}", "risk_ext": "${hash:payments.v2:risk_ext}"}
def log(rid, values, hashes=H, join="payments", version="v2", ts=TS, key=None):
    return {"topic": "splice.fetch-log", "key": key or rid, "value": {"join": join, "version": version, "ts": ts, "keys": {"card_id": "c1"}, "context": {"request_id": rid} if rid else {}, "values": values, "part_hashes": hashes}}
def row(topic, rk, values, hashes=None, ts=TS):
    return {"topic": topic, "key": rk, "value": {"row_key": rk, "ts": ts, "keys": {"card_id": "c1"}, "values": values, "part_hashes": hashes}}
def tomb(topic, rk):
    return {"topic": topic, "key": rk, "value": None}
BF = "splice.backfill.payments.v2"
CARD = {"card_txn": "${hash:payments.v2:card_txn}"}
OUT = "splice.stitched.payments.v2"
def exp(rows, about, absent=None, dlq=None):
    e = {"stitched": {OUT: rows}, "about": about}
    if absent is not None: e["absent"] = absent
    if dlq is not None: e["dlq"] = [{"key": k} for k in dlq]
    return e
def r(values, sources, emissions=None):
    d = {"values": values, "sources": sources}
    if emissions is not None: d["emissions"] = emissions
    return d
S = {}
S["05-stale-backfill-ignored"] = (BASE, [
    log("r1", {"risk_score": 0.5}, {"risk_ext": H["risk_ext"]}),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, {"card_txn": "0000000000000000"}),
], exp({"r1": r({"txn_count_1h": None, "txn_amount_24h": None, "risk_score": 0.5}, {"txn_count_1h": "missing", "txn_amount_24h": "missing", "risk_score": "log"}, 1)},
    "Rule 1: a backfill computed by another definition of card_txn (stale hash) is ignored; nothing changes."))
S["06-joint-coverage-trusts-null"] = (BASE, [
    row("splice.bootstrap.high", "r1", {"txn_count_1h": 11}),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
    log("r1", {"txn_amount_24h": None, "risk_score": 0.5}),
], exp({"r1": r({"txn_count_1h": 11, "txn_amount_24h": None, "risk_score": 0.5}, {"txn_count_1h": "bootstrap:splice.bootstrap.high", "txn_amount_24h": "log", "risk_score": "log"}, 2)},
    "Rules 2-3: the bootstrap (count) and the log (amount, logged as null) jointly cover card_txn; the null is trusted, not backfilled."))
S["07-partial-coverage-backfilled"] = (BASE, [
    log("r1", {"txn_count_1h": 3, "risk_score": 0.5}),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
], exp({"r1": r({"txn_count_1h": 3, "txn_amount_24h": 99.0, "risk_score": 0.5}, {"txn_count_1h": "log", "txn_amount_24h": "backfill", "risk_score": "log"}, 2)},
    "Rules 2-3: the log covers only part of card_txn, so the backfill fills the hole column by column."))
S["08-null-falls-through"] = (BASE, [
    row("splice.bootstrap.high", "r1", {"txn_count_1h": None, "txn_amount_24h": 1.5}),
    row("splice.bootstrap.low", "r1", {"txn_count_1h": 22, "txn_amount_24h": 2.5, "label": 1}),
    log("r1", {"txn_count_1h": 3, "txn_amount_24h": 120.5, "risk_score": None}),
], exp({"r1": r({"txn_count_1h": 22, "txn_amount_24h": 1.5, "risk_score": None}, {"txn_count_1h": "bootstrap:splice.bootstrap.low", "txn_amount_24h": "bootstrap:splice.bootstrap.high", "risk_score": "log"}, 1)},
    "Rules 3-4: a null in a higher bootstrap falls through to the next; a logged null is named as the log; extra columns are ignored."))
S["09-external-never-backfilled"] = (BASE, [
    log("r1", {"txn_count_1h": 3, "txn_amount_24h": 1.0}, CARD),
    row(BF, "r1", {"risk_score": 0.9, "txn_count_1h": 1, "txn_amount_24h": 1.0}, None),
], exp({"r1": r({"txn_count_1h": 3, "txn_amount_24h": 1.0, "risk_score": None}, {"txn_count_1h": "log", "txn_amount_24h": "log", "risk_score": "missing"}, 1)},
    "Rule 3: an external part is never filled from the backfill."))
S["10-bootstrap-waits-for-row"] = (BASE, [
    row("splice.bootstrap.high", "r1", {"txn_count_1h": 11, "txn_amount_24h": 1.5}),
    row("splice.bootstrap.high", "r2", {"txn_count_1h": 1, "txn_amount_24h": 1.0}),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
], exp({"r1": r({"txn_count_1h": 11, "txn_amount_24h": 1.5, "risk_score": None}, {"txn_count_1h": "bootstrap:splice.bootstrap.high", "txn_amount_24h": "bootstrap:splice.bootstrap.high", "risk_score": "missing"}, 1)},
    "Rule 5: bootstrap records create no row; r1 appears with its backfill record and takes the bootstrap values; r2 never appears.",
    absent=[OUT + "/r2"]))
WIN = BASE.replace("      - topic: splice.bootstrap.low\n", "      - topic: splice.bootstrap.low\n        start_date: 2025-10-01\n        end_date: 2025-10-01\n")
S["11-bootstrap-window"] = (WIN, [
    row("splice.bootstrap.low", "r1", {"txn_count_1h": 5, "txn_amount_24h": 5.0}),
    row("splice.bootstrap.low", "r2", {"txn_count_1h": 5, "txn_amount_24h": 5.0}),
    log("r1", {"risk_score": 0.1}, {"risk_ext": H["risk_ext"]}, ts=TS),
    log("r2", {"risk_score": 0.2}, {"risk_ext": H["risk_ext"]}, ts=TS + 86400000),
], exp({"r1": r({"txn_count_1h": 5, "txn_amount_24h": 5.0}, {"txn_count_1h": "bootstrap:splice.bootstrap.low", "txn_amount_24h": "bootstrap:splice.bootstrap.low"}, 1),
        "r2": r({"txn_count_1h": None, "txn_amount_24h": None}, {"txn_count_1h": "missing", "txn_amount_24h": "missing"}, 1)},
    "Rule 6: a bootstrap part with start/end dates counts only for rows whose ts falls in those UTC days."))
S["12-replay-emits-nothing"] = (BASE, [
    log("r1", {"txn_count_1h": 3, "txn_amount_24h": 120.5, "risk_score": 0.25}),
    dict(log("r1", {"txn_count_1h": 3, "txn_amount_24h": 120.5, "risk_score": 0.25}), topic="splice.fetch-log.replay"),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
], exp({"r1": r({"txn_count_1h": 3, "txn_amount_24h": 120.5, "risk_score": 0.25}, {"txn_count_1h": "log", "txn_amount_24h": "log", "risk_score": "log"}, 1)},
    "Rule 7: a replayed log and a backfill of a fully covered row change nothing, so nothing more is emitted."))
S["13-tombstones"] = (BASE, [
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
    tomb(BF, "r1"),
    row(BF, "r2", {"txn_count_1h": 1, "txn_amount_24h": 2.0}, CARD),
    row("splice.bootstrap.high", "r2", {"txn_count_1h": 5}),
    tomb("splice.bootstrap.high", "r2"),
    tomb("splice.bootstrap.low", "r3"),
], exp({"r1": None, "r2": r({"txn_count_1h": 1, "txn_amount_24h": 2.0}, {"txn_count_1h": "backfill", "txn_amount_24h": "backfill"}, 3)},
    "Rule 8: a backfill tombstone deletes a row that has no log (tombstone out); a bootstrap tombstone re-merges r2; a tombstone for an unknown row does nothing.",
    absent=[OUT + "/r3"]))
S["14-latest-record-wins"] = (BASE, [
    log("r1", {"txn_count_1h": 3, "txn_amount_24h": 1.0, "risk_score": 0.25}),
    log("r1", {"txn_count_1h": 4, "txn_amount_24h": 1.0, "risk_score": 0.25}),
    row(BF, "r2", {"txn_count_1h": 1, "txn_amount_24h": 2.0}, CARD),
    row(BF, "r2", {"txn_count_1h": 2, "txn_amount_24h": 2.0}, CARD),
], exp({"r1": r({"txn_count_1h": 4}, {"txn_count_1h": "log"}, 2), "r2": r({"txn_count_1h": 2}, {"txn_count_1h": "backfill"}, 2)},
    "Rule 9: the later record of a source replaces the earlier one."))
S["15-bad-values"] = (BASE, [
    log("r1", {"txn_count_1h": "three"}),
    log("r2", {"txn_count_1h": 3.5}),
    log("r3", {"not_a_feature": 1}),
    row(BF, "r4", {"txn_count_1h": "x"}, CARD),
    log("r5", {"txn_count_1h": 3, "txn_amount_24h": 2, "risk_score": 1}),
    log("r6", {"risk_score": 0.5}, join="search", version="v1"),
], exp({"r5": r({"txn_count_1h": 3, "txn_amount_24h": 2.0, "risk_score": 1.0}, {"txn_count_1h": "log", "txn_amount_24h": "log", "risk_score": "log"}, 1)},
    "Rule 10: values that cannot be promoted and unknown features go to the DLQ; int->double is a promotion; logs of an unknown join are skipped, not dead-lettered.",
    absent=[OUT + "/r1", OUT + "/r2", OUT + "/r3", OUT + "/r4", OUT + "/r6"], dlq=["r1", "r2", "r3", "r4"]))
TWO = """joins:
  - name: payments
    version: v1
    row_ids: [request_id]
    keys: [card_id]
    bootstrap_from_log: true
    parts:
      - name: card_txn
        source: transactions
        key: card_id
        features:
          - {name: txn_count_1h, type: long, agg: count, window: 1h}
      - name: risk_ext
        external: true
        features:
          - {name: risk_score, type: double}
  - name: payments
    version: v2
    row_ids: [request_id]
    keys: [card_id]
    bootstrap_from_log: true
    parts:
      - name: card_txn
        source: transactions
        key: card_id
        features:
          - {name: txn_count_1h, type: long, agg: count, window: 2h}
      - name: risk_ext
        external: true
        features:
          - {name: risk_score, type: double}
    bootstrap_parts:
      - topic: splice.stitched.payments.v1
"""
V1H = {"card_txn": "${hash:payments.v1:card_txn}", "risk_ext": "${hash:payments.v1:risk_ext}"}
S["16-v2-reuses-v1-where-unchanged"] = (TWO, [
    log("r1", {"txn_count_1h": 3, "risk_score": 0.25}, V1H, version="v1"),
    row(BF, "r1", {"txn_count_1h": 9}, {"card_txn": "${hash:payments.v2:card_txn}"}),
], {"stitched": {"splice.stitched.payments.v1": {"r1": r({"txn_count_1h": 3, "risk_score": 0.25}, {"txn_count_1h": "log", "risk_score": "log"}, 1)},
                 OUT: {"r1": r({"txn_count_1h": 9, "risk_score": 0.25}, {"txn_count_1h": "backfill", "risk_score": "bootstrap:splice.stitched.payments.v1"}, 1)}},
    "about": "v2 bootstraps from v1's stitched output: risk_ext is unchanged so v1's value is reused; card_txn's window changed, so v1's count is not valid for v2 and the backfill fills it."})
MULTI = BASE.replace("row_ids: [request_id]", "row_ids: [request_id, ds]")
S["17-several-row-ids"] = (MULTI, [
    {"topic": "splice.fetch-log", "key": "x", "value": {"join": "payments", "version": "v2", "ts": TS, "keys": {"card_id": "c1"}, "context": {"request_id": "r1", "ds": "2025-10-01"}, "values": {"risk_score": 0.5}, "part_hashes": {"risk_ext": H["risk_ext"]}}},
    row(BF, '["r1","2025-10-01"]', {"txn_count_1h": 7, "txn_amount_24h": 1.0}, CARD),
], {"stitched": {OUT: {'["r1","2025-10-01"]': r({"txn_count_1h": 7, "risk_score": 0.5}, {"txn_count_1h": "backfill", "risk_score": "log"}, 2)}},
    "about": "Several row ids: the row key is the JSON array of their values in declared order; the log is re-keyed to it and meets its backfill."})
NOLOG = BASE.replace("bootstrap_from_log: true", "bootstrap_from_log: false")
S["18-log-not-a-source"] = (NOLOG, [
    log("r1", {"txn_count_1h": 3, "txn_amount_24h": 1.0, "risk_score": 0.25}),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 99.0}, CARD),
], exp({"r1": r({"txn_count_1h": 7, "txn_amount_24h": 99.0, "risk_score": None}, {"txn_count_1h": "backfill", "txn_amount_24h": "backfill", "risk_score": "missing"}, 2)},
    "Without bootstrap_from_log the log creates the row but its values are not a source."))
for name, (yaml, events, expected) in S.items():
    os.makedirs(name, exist_ok=True)
    open(os.path.join(name, "joins.yaml"), "w").write(yaml)
    open(os.path.join(name, "events.jsonl"), "w").write("".join(json.dumps(e) + "\n" for e in events))
    open(os.path.join(name, "expected.json"), "w").write(json.dumps(expected, indent=2) + "\n")

RET = BASE.replace("    bootstrap_from_log: true\n", "    bootstrap_from_log: true\n    state_retention_days: 1\n")
S2 = {}
S2["19-state-retention-evicts"] = (RET, [
    log("r1", {"risk_score": 0.1}, {"risk_ext": H["risk_ext"]}, ts=TS),
    log("r2", {"risk_score": 0.2}, {"risk_ext": H["risk_ext"]}, ts=TS + 3 * 86400000),
    row(BF, "r1", {"txn_count_1h": 7, "txn_amount_24h": 1.0}, CARD, ts=TS),
    row(BF, "r2", {"txn_count_1h": 8, "txn_amount_24h": 2.0}, CARD, ts=TS + 3 * 86400000),
], exp({"r1": r({"risk_score": 0.1, "txn_count_1h": None}, {"risk_score": "log", "txn_count_1h": "missing"}, 1),
        "r2": r({"risk_score": 0.2, "txn_count_1h": 8}, {"risk_score": "log", "txn_count_1h": "backfill"}, 2)},
    "state_retention_days (DESIGN §6): once stream time is past r1's ts plus a day, r1 is evicted without a tombstone; its late backfill goes to the DLQ (row-evicted) instead of restarting the row.",
    dlq=["r1"]))
for name, (yaml, events, expected) in S2.items():
    os.makedirs(name, exist_ok=True)
    open(os.path.join(name, "joins.yaml"), "w").write(yaml)
    open(os.path.join(name, "events.jsonl"), "w").write("".join(json.dumps(e) + "\n" for e in events))
    open(os.path.join(name, "expected.json"), "w").write(json.dumps(expected, indent=2) + "\n")
