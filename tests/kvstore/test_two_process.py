"""Two processes race conditional writes on one ``file`` key: exactly one wins each round, no torn values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROUNDS = 200
PAD = 20_000

WORKER = r"""
import json, sys
import tsexplore as ts
root, who, rounds, pad = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
kv = ts.KvStore.open({"driver": "file", "path": root + "/"}).result()
won, torn = [], 0
def parse(v):
    head, _, body = v.partition(b"|")
    r, w = head.split(b":")
    ok = body == w * pad
    return int(r), ok
r = 0
while r < rounds:
    res = kv.read("k").result()
    cur, ok = parse(res.value)
    torn += not ok
    if cur != r:
        r = cur
        continue
    value = f"{r + 1}:{who}|".encode() + who.encode() * pad
    if kv.write("k", value, if_equal=res.stamp.generation).result().generation:
        won.append(r)
    r += 1
print(json.dumps({"won": won, "torn": torn}))
"""


def test_two_processes_conditional_writes(tmp_path: Path) -> None:
    import tsexplore as ts

    kv = ts.KvStore.open({"driver": "file", "path": str(tmp_path) + "/"}).result()
    kv["k"] = b"0:a|" + b"a" * PAD
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tmp_path), who, str(ROUNDS), str(PAD)], stdout=subprocess.PIPE
        )
        for who in ("a", "b")
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert results[0]["torn"] == results[1]["torn"] == 0
    won_a, won_b = set(results[0]["won"]), set(results[1]["won"])
    assert not won_a & won_b  # never two winners in one round
    assert won_a | won_b == set(range(ROUNDS))  # every round has a winner
    assert kv["k"].startswith(f"{ROUNDS}:".encode())
