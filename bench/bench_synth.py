"""Benchmark the synthetic data generator: wall time and peak memory per size.

Each size runs in a fresh Python process so its peak resident memory
(``ru_maxrss``) is its own. Usage::

    .venv/bin/python bench/bench_synth.py                      # 100,000 people
    .venv/bin/python bench/bench_synth.py --people 100000 1000000

Prints one line per size: people, wall and CPU seconds, peak RSS, rows and
bytes written. On a busy machine the CPU time is the better guide to the
wall time on an idle one (the generator is single-threaded).
The 100,000-people run must finish in under 60 s (exit code 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from mashgraph.ingest.synth import generate
out, people, seed, authorities = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pattern_rate = float(sys.argv[5])
t0 = time.perf_counter()
s = generate(out, people, seed, authorities, pattern_rate=pattern_rate)
elapsed = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"people": s.people, "records": s.records, "events": s.events, "rows": sum(s.rows.values()),
                  "seconds": elapsed, "cpu_seconds": ru.ru_utime + ru.ru_stime, "peak_rss_mib": ru.ru_maxrss / 1024}))
"""

LIMIT_100K_SECONDS = 60.0


def run(people: int, seed: int, authorities: int, out: Path, pattern_rate: float = 1.0) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(out), str(people), str(seed), str(authorities),
                           str(pattern_rate)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"generator failed for {people} people:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--authorities", type=int, default=4)
    parser.add_argument("--pattern-rate", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=None, help="keep the output here (default: a temp dir)")
    args = parser.parse_args(argv)
    failed = False
    for n in args.people:
        with tempfile.TemporaryDirectory(prefix="bench_synth_") as tmp:
            out = (args.out / f"synth_{n}") if args.out else Path(tmp) / "out"
            r = run(n, args.seed, args.authorities, out, args.pattern_rate)
        print(f"{n:>9,} people requested: {r['people']:,} people, {r['records']:,} records, {r['events']:,} events, "
              f"{r['rows']:,} rows, {r['bytes'] / 2**20:.0f} MiB written in {r['seconds']:.1f} s "
              f"(CPU {r['cpu_seconds']:.1f} s), "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB", flush=True)
        if n == 100_000 and r["seconds"] >= LIMIT_100K_SECONDS:
            print(f"FAIL: 100,000 people took {r['seconds']:.1f} s (limit {LIMIT_100K_SECONDS:.0f} s)")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
