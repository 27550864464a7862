"""How many live sessions one server holds: the load generator at growing counts against one
server, and a newcomer's first render while the server is busy.

usage: .venv/bin/python -m tools.capacity [--counts 1 2 4 8 12] [--seconds 20] [--busy 8]
           [--heavy 3] [--heavy-busy 4] [--json]

Then --heavy sweeps asked for at once while --heavy-busy sessions play: each finishes (in how
long, and whether it waited in the heavy-run queue) or is refused up front with the page's reason.

A count holds when every session keeps at least FLOOR updates a second with no error. Figures
depend on the machine; the README records them with the machine they came from."""
from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time

from tools.loadgen import SessionError, open_session, run_load, served

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


HEAVY_PAGES = {"sweep": "sw", "alternatives": "alt", "representations": "rep", "distillation": "dst"}


def heavy(url: str, pid: int, busy: int, runs: int, seconds: float, pages: tuple[str, ...] = ("sweep",)
          ) -> dict:
    """`runs` heavy runs asked for at once (the pages in turn, at their defaults but each with data
    of its own, so none is a cache hit), while `busy` sessions play: how long each took to finish,
    whether it waited in the heavy-run queue, or why it was refused up front (the page's "Could
    not run …")."""
    report: dict = {}
    load = threading.Thread(target=lambda: report.update(run_load(url, busy, seconds, pid=pid).as_dict()))
    load.start()
    time.sleep(min(10.0, seconds / 2))
    outcomes: list[dict] = [{} for _ in range(runs)]

    def one(i: int) -> None:
        start = time.perf_counter()
        try:
            page_name = pages[i % len(pages)]
            query = f"{HEAVY_PAGES[page_name]}_noise={0.3 + 0.02 * i:.2f}"
            with open_session(url, f"/{page_name}", query, index=900 + i) as page:
                shown = [text for _, text in page.result.alerts]
        except SessionError as err:
            outcomes[i] = {"finished": False, "seconds": None, "waited": False, "refused": None,
                           "error": str(err)}
            return
        refused = next((t for t in shown if t.startswith("Could not run")), None)
        told = [int(m.group(1)) for t in shown if (m := re.search(r"about (\d+) s to start", t))]
        outcomes[i] = {"finished": refused is None, "seconds": time.perf_counter() - start,
                       "waited": any("waits its turn" in t for t in shown), "refused": refused, "error": None,
                       "first_estimate_s": told[0] if told else None}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.join()
    done = [o["seconds"] for o in outcomes if o["finished"]]
    return {"busy_sessions": busy, "runs": runs, "finished": len(done),
            "refused": sum(1 for o in outcomes if o["refused"]),
            "failed": sum(1 for o in outcomes if o["error"]),
            "waited_in_queue": sum(1 for o in outcomes if o["waited"]),
            "seconds_to_finish": sorted(round(x, 1) for x in done), "outcomes": outcomes,
            "first_estimates_s": [o.get("first_estimate_s") for o in outcomes if o.get("waited")],
            "busy_updates_per_s_min": report["updates_per_s"]["min"], "busy_errors": report["errors"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 8, 12])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--busy", type=int, default=8, help="sessions playing while a newcomer opens")
    parser.add_argument("--heavy", type=int, default=3, help="sweeps asked for at once beside --heavy-busy "
                        "playing sessions (0: none)")
    parser.add_argument("--heavy-busy", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with served(None, "server-capacity.log") as (url, _, pid):
        open_session(url, "/train").close()  # warm: PyTorch and the first page load
        rows = [one_count(url, pid, n, args.seconds) for n in args.counts]
        late = newcomer(url, pid, args.busy, args.seconds)
        sweeps = heavy(url, pid, args.heavy_busy, args.heavy, max(args.seconds, 60.0)) if args.heavy else None
    held = max((r["sessions"] for r in rows if r["holds"]), default=0)
    summary = {"machine": f"{os.cpu_count()} cores", "floor_updates_per_s": FLOOR, "sessions_held": held,
               "counts": rows, "newcomer": late, "heavy": sweeps}
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
        if sweeps:
            print(f"{sweeps['runs']} sweeps at once beside {sweeps['busy_sessions']} playing: "
                  f"{sweeps['finished']} finished in {sweeps['seconds_to_finish']} s "
                  f"({sweeps['waited_in_queue']} waited in the queue, first told "
                  f"{sweeps['first_estimates_s']} s to start), {sweeps['refused']} refused up "
                  f"front, {sweeps['failed']} failed; the playing sessions kept ≥ "
                  f"{sweeps['busy_updates_per_s_min']:.1f} updates/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
