"""How many live sessions one server holds: the load generator at growing counts against one
server, and a newcomer's first render while the server is busy.

usage: .venv/bin/python -m tools.capacity [--counts 1 2 4 8 12] [--seconds 20] [--busy 8] [--json]

A count holds when every session keeps at least FLOOR updates a second with no error. Figures
depend on the machine; the README records them with the machine they came from."""
from __future__ import annotations

import argparse
import json
import os
import threading
import time

from tools.loadgen import open_session, run_load, served

FLOOR = 5.0  # visible updates a second a live session must keep


def one_count(url: str, pid: int, sessions: int, seconds: float) -> dict:
    d = run_load(url, sessions, seconds, pid=pid).as_dict()
    return {"sessions": sessions, "errors": d["errors"], "updates_per_s_p50": d["updates_per_s"]["p50"],
            "updates_per_s_min": d["updates_per_s"]["min"],
            "cpu_ms_per_update": d["server_cpu_ms_per_update"],
            "server_cores_busy": d["server_cores_busy"], "frame_latency_p95_s": d["frame_latency_s"]["p95"],
            "frame_interval_p95_s": d["frame_interval_s"]["p95"],
            "holds": d["errors"] == 0 and (d["updates_per_s"]["min"] or 0) >= FLOOR}


def newcomer(url: str, pid: int, busy: int, seconds: float) -> dict:
    """A session opening the live page while `busy` others play: its time to first render."""
    report: dict = {}
    load = threading.Thread(target=lambda: report.update(run_load(url, busy, seconds, pid=pid).as_dict()))
    load.start()
    time.sleep(min(10.0, seconds / 2))  # the others are open and playing by now
    start = time.perf_counter()
    with open_session(url, "/train", "ds_seed=999") as late:
        first = late.result.first_render_s
    opened = time.perf_counter() - start
    load.join()
    return {"busy_sessions": busy, "first_render_s": first, "open_s": opened,
            "busy_updates_per_s_min": report["updates_per_s"]["min"], "busy_errors": report["errors"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 8, 12])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--busy", type=int, default=8, help="sessions playing while a newcomer opens")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with served(None, "server-capacity.log") as (url, _, pid):
        open_session(url, "/train").close()  # warm: PyTorch and the first page load
        rows = [one_count(url, pid, n, args.seconds) for n in args.counts]
        late = newcomer(url, pid, args.busy, args.seconds)
    held = max((r["sessions"] for r in rows if r["holds"]), default=0)
    summary = {"machine": f"{os.cpu_count()} cores", "floor_updates_per_s": FLOOR, "sessions_held": held,
               "counts": rows, "newcomer": late}
    if args.json:
        print(json.dumps(summary))
    else:
        for r in rows:
            print(f"{r['sessions']:3d} sessions: updates/s p50 {r['updates_per_s_p50']:.1f} min "
                  f"{r['updates_per_s_min']:.1f}, {r['cpu_ms_per_update'] or 0:.1f} ms CPU per update, "
                  f"server {r['server_cores_busy'] or 0:.2f} cores, frame interval p95 "
                  f"{r['frame_interval_p95_s'] or 0:.3f} s, errors {r['errors']}")
        print(f"holds {held} sessions at ≥ {FLOOR:g} updates/s; a newcomer beside {late['busy_sessions']} "
              f"playing: first render {late['first_render_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
