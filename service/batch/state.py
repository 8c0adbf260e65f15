"""What earlier runs into the same output folder already settled.

results.jsonl and failures.jsonl are append-only: a line is written and flushed the moment a file
finishes, so an interrupted batch loses at most the files that were still being reviewed. A file is
settled when a line carries its current key (content hash, rules version, requested profile); later
lines win over earlier ones, so a re-reviewed file needs no rewrite of the log.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

RESULTS = "results.jsonl"
FAILURES = "failures.jsonl"


def make_key(sha256: str, rules_version: str, profile: str) -> str:
    return f"{sha256}:{rules_version}:{profile}"


@dataclass
class Entry:
    rel: str
    key: str
    ok: bool
    record: dict  # the review (ok) or {"file", "error": {...}} (failed)


@dataclass
class State:
    out_dir: str
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # (rel, key) -> latest
    order: int = 0

    def lookup(self, rel: str, key: str) -> Entry | None:
        return self.entries.get((rel, key))

    def _remember(self, entry: Entry) -> None:
        self.entries.pop((entry.rel, entry.key), None)  # re-insert so dict order = recency
        self.entries[(entry.rel, entry.key)] = entry


def _lines(path: str):
    try:
        fh = open(path, "r", encoding="utf-8")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                # The last line of a killed run may be cut short; everything before it is good.
                continue


def load(out_dir: str) -> State:
    state = State(out_dir)
    stamped = []
    for ok, name in ((True, RESULTS), (False, FAILURES)):
        for rec in _lines(os.path.join(out_dir, name)):
            meta = rec.get("batch") or {}
            rel, key = rec.get("file"), meta.get("key")
            if isinstance(rel, str) and isinstance(key, str):
                stamped.append((meta.get("finished", 0), Entry(rel, key, ok, rec)))
    # Two logs interleave in time: a file that failed, then succeeded after --retry-failed.
    for _, entry in sorted(stamped, key=lambda t: t[0]):
        state._remember(entry)
    return state


class Log:
    """Appends settled files; the only writer of the logs (the client, never a Dask worker)."""

    def __init__(self, state: State):
        self.state = state
        self._fh = {}

    def _open(self, name: str):
        if name not in self._fh:
            path = os.path.join(self.state.out_dir, name)
            fh = open(path, "a", encoding="utf-8")
            # A run killed mid-line left a fragment; start on a fresh line so only it is lost.
            if fh.tell() > 0:
                with open(path, "rb") as raw:
                    raw.seek(-1, os.SEEK_END)
                    if raw.read(1) != b"\n":
                        fh.write("\n")
            self._fh[name] = fh
        return self._fh[name]

    def append(self, rel: str, key: str, ok: bool, record: dict, extra: dict | None = None) -> Entry:
        record = dict(record)
        record["file"] = rel
        record["batch"] = {"key": key, "finished": time.time(), **(extra or {})}
        fh = self._open(RESULTS if ok else FAILURES)
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        entry = Entry(rel, key, ok, record)
        self.state._remember(entry)
        return entry

    def close(self) -> None:
        for fh in self._fh.values():
            try:
                fh.close()
            except OSError:
                pass
        self._fh.clear()
