"""Print the figures each benchmark recorded in ``extra_info`` (``make bench`` calls this).

python tests/benchmarks/summary.py .benchmarks/latest.json
"""

from __future__ import annotations

import json
import os
import sys


def main(path: str) -> int:
    with open(path) as f:
        data = json.load(f)
    mi = data.get("machine_info", {})
    print(
        f"\nmachine: {os.cpu_count()} cores, {mi.get('cpu', {}).get('brand_raw', '?')}, python {mi.get('python_version')}"
    )
    for b in data["benchmarks"]:
        extra = ", ".join(f"{k}={_fmt(v)}" for k, v in b.get("extra_info", {}).items())
        print(f"{b['name']:55s} {b['stats']['mean']:9.3f} s  {extra}")
    return 0


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    return str(v)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".benchmarks/latest.json"))
