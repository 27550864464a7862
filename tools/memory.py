"""Does memory come back? A server's resident memory (RSS) at rest, while heavy sessions run (live
sessions playing, and runs of the sweep, Alternatives, Representations and Distillation pages,
each of its own data), and for minutes after they all close.

usage: .venv/bin/python -m tools.memory [--live 4] [--runs 8] [--pages sweep distillation ...]
           [--seconds 30] [--after 120] [--every 5] [--json]

Prints the curve (seconds since the sessions closed → RSS in MB) and when RSS first came back
within 20% of the baseline (the server after one visit of /train and of /sweep, when its imports
and first results are in place). What holds memory after sessions close, and what releases it,
is described in docs/hosting.md. Figures depend on the machine."""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

from tools.capacity import HEAVY_PAGES, heavy
from tools.loadgen import open_session, served

WITHIN = 1.2  # "back": at most this times the baseline


def rss_mb(pid: int) -> float:
    """The process's resident set, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure(live: int, runs: int, seconds: float, after: float, every: float,
            pages: tuple[str, ...] = tuple(HEAVY_PAGES)) -> dict:
    with served(None, "server-memory.log") as (url, _, pid):
        open_session(url, "/train").close()
        open_session(url, "/sweep").close()
        time.sleep(every)
        baseline = rss_mb(pid)
        peak = [baseline]
        stop = threading.Event()

        def watch():
            while not stop.wait(0.5):
                peak.append(rss_mb(pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        load = heavy(url, pid, live, runs, seconds, pages)
        stop.set()
        watcher.join()
        closed = time.perf_counter()
        curve = []
        while (since := time.perf_counter() - closed) <= after:
            curve.append((round(since, 1), round(rss_mb(pid), 1)))
            time.sleep(every)
    back = next((t for t, mb in curve if mb <= WITHIN * baseline), None)
    return {"machine": f"{os.cpu_count()} cores", "baseline_mb": round(baseline, 1),
            "peak_mb": round(max(peak), 1), "curve": curve, "back_within_20pct_after_s": back,
            "live_sessions": live, "heavy_runs": runs, "pages": list(pages), "finished": load["finished"],
            "refused": load["refused"], "errors": load["busy_errors"] + load["failed"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, default=4, help="live sessions playing")
    parser.add_argument("--runs", type=int, default=8, help="heavy runs of their own data, asked for at once")
    parser.add_argument("--pages", nargs="+", choices=list(HEAVY_PAGES), default=list(HEAVY_PAGES),
                        help="the pages whose runs they are, in turn")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the live sessions play")
    parser.add_argument("--after", type=float, default=120.0, help="seconds to follow RSS after they close")
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.live, args.runs, args.seconds, args.after, args.every, tuple(args.pages))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"baseline {result['baseline_mb']} MB, peak {result['peak_mb']} MB with {args.live} live "
              f"sessions and {args.runs} heavy runs on {', '.join(args.pages)} ({result['finished']} "
              f"finished, {result['refused']} refused)")
        for t, mb in result["curve"]:
            print(f"  {t:6.1f} s after closing: {mb:7.1f} MB")
        back = result["back_within_20pct_after_s"]
        print(f"back within 20% of the baseline after {back} s" if back is not None
              else f"not back within 20% of the baseline in {args.after:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
