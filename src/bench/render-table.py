#!/usr/bin/env python3
"""Renders the JSON the benchmarks wrote (target/bench/*.json) as the two Markdown tables of docs/performance.md.

Usage: python3 src/bench/render-table.py [target/bench]
The first table is every ratio and target check with its verdict, the second every absolute figure.
"""
import json
import pathlib
import sys

ORDER = ["accept", "poll", "log", "throughput", "depth", "dispatch", "engine-overhead"]


def fmt(value):
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.2f}"


def main():
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench")
    runs = {p.stem: json.loads(p.read_text()) for p in directory.glob("*.json")}
    names = [n for n in ORDER if n in runs] + sorted(n for n in runs if n not in ORDER)
    print("| benchmark | ratio / target | median (min–max) | target | met |")
    print("|---|---|---|---|---|")
    for name in names:
        run = runs[name]
        for r in run.get("ratios", []):
            met = "" if r["target"] in ("", "–", None) else ("yes" if r["met"] else "**no**")
            print(f"| {name} | {r['label']} | {fmt(r['median'])} ({fmt(r['min'])}–{fmt(r['max'])}) "
                  f"| {r['target'] or '–'} | {met} |")
        for c in run.get("targets", []):
            print(f"| {name} | {c['label']} | {fmt(c['median'])} {c['unit']} | {c['target']} "
                  f"| {'yes' if c['met'] else '**no**'} |")
    print()
    print("| benchmark | figure | median | min | max | unit |")
    print("|---|---|---|---|---|---|")
    for name in names:
        for f in runs[name].get("figures", []):
            print(f"| {name} | {f['label']} | {fmt(f['median'])} | {fmt(f['min'])} | {fmt(f['max'])} | {f['unit']} |")
    first = min((runs[n]["at"] for n in names), default="")
    last = max((runs[n]["at"] for n in names), default="")
    machine = runs[names[0]].get("machine", {}) if names else {}
    print()
    print(f"Run {first} – {last}; machine: {json.dumps(machine)}")


if __name__ == "__main__":
    main()
