"""Score shellgate on the labelled corpus: recall on destructive commands, false-positive
rate on ordinary ones. Run: ``python bench/corpus.py [--show-misses] [FILE…]``.

Every command goes through the same engine as ``shellgate scan``; a corpus line's
``files`` map is served as the files the command reads, its ``links`` map as the symlinks
on the way to a path, its ``env`` map as the environment it starts with (where git's
config files are); nothing is read from disk.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


@dataclass
class Score:
    destructive: int = 0
    caught: int = 0
    benign: int = 0
    false_positives: int = 0
    misses: list[dict[str, object]] = field(default_factory=list)
    wrongly_gated: list[dict[str, object]] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_kind_ok: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def recall(self) -> float:
        return self.caught / self.destructive if self.destructive else 1.0

    @property
    def fp_rate(self) -> float:
        return self.false_positives / self.benign if self.benign else 0.0


def load(paths: list[Path]) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                item = json.loads(line)
                item["_where"] = f"{path.name}:{number}"
                items.append(item)
    return items


def score(paths: list[Path] | None = None) -> Score:
    from shellgate.engine import evaluate
    from shellgate.parse.context import mapping_reader
    from shellgate.rules.loader import load_rules, pattern_files

    rules = load_rules(pattern_files(None))
    result = Score()
    started = time.perf_counter()
    for item in load(paths or sorted(CORPUS.glob("*.jsonl"))):
        files = item.get("files") or {}
        links = item.get("links") or {}  # symlinks: path → target
        env = item.get("env") or {}  # the environment the command starts with
        assert isinstance(files, dict) and isinstance(links, dict) and isinstance(env, dict)
        decision = evaluate(str(item["cmd"]), rules, mapping_reader(files, links),
                            environ=env)
        gated = decision.verdict != "allow"
        kind = f"{item['label']}/{item.get('kind', '?')}"
        result.by_kind[kind] += 1
        record = {"where": item["_where"], "cmd": item["cmd"], "rules": decision.rule_ids}
        if item["label"] == "destructive":
            result.destructive += 1
            result.caught += gated
            result.by_kind_ok[kind] += gated
            if not gated:
                result.misses.append(record)
        else:
            result.benign += 1
            result.false_positives += gated
            result.by_kind_ok[kind] += not gated
            if gated:
                result.wrongly_gated.append(record)
    result.seconds = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    result = score(args.files or None)
    print(f"destructive: {result.destructive}  caught: {result.caught}  "
          f"recall: {result.recall:.4f}")
    print(f"benign: {result.benign}  gated: {result.false_positives}  "
          f"false-positive rate: {result.fp_rate:.4f}")
    for kind in sorted(result.by_kind):
        print(f"  {kind:24} {result.by_kind_ok[kind]:4}/{result.by_kind[kind]:<4} correct")
    total = result.destructive + result.benign
    print(f"time: {result.seconds:.2f}s for {total} commands "
          f"({1000 * result.seconds / max(total, 1):.2f} ms each, in process)")
    if args.show_misses:
        for miss in result.misses:
            print(f"MISS  {miss['where']}: {miss['cmd']!r}")
        for fp in result.wrongly_gated:
            print(f"FP    {fp['where']}: {fp['rules']} {fp['cmd']!r}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
