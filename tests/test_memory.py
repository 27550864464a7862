"""Memory that goes when its sessions go: twenty large live sessions opened and closed against a
real server, whose resident memory must come back near its baseline once they are gone: within
the disconnected-session TTL plus three minutes at most (a second or so when the machine is idle;
on a loaded machine the sockets' close and the janitor's rounds run late)."""
import time

from tools.loadgen import open_session
from tools.serve import streamlit_process

TTL_S = 5  # the server's disconnected-session TTL for this test (Streamlit's default is 120 s)
LARGE = "ds_name=spirals&ds_k=10&ds_n=3000&net_layers=6&net_units=256"  # the largest live settings
SESSIONS = 20
WAIT_S = 180  # the most the test waits for the memory to come back; it stops as soon as it has


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def test_twenty_large_sessions_give_their_memory_back(record_property):
    with streamlit_process("server-memory.log", "--server.disconnectedSessionTTL", str(TTL_S)) as (url, proc):
        # baseline: PyTorch loaded and one small live session opened, trained and gone
        open_session(url, "/train", play=True).close()
        time.sleep(TTL_S + 12)  # released by the janitor (every 10 s) once past the TTL
        baseline = rss_mb(proc.pid)
        peak = baseline
        for i in range(SESSIONS):
            session = open_session(url, "/train", query=f"{LARGE}&ds_seed={i}", play=True, index=i)
            peak = max(peak, rss_mb(proc.pid))
            assert not session.close().errors
        closed = time.perf_counter()
        samples = []
        while time.perf_counter() - closed < TTL_S + WAIT_S:
            samples.append(rss_mb(proc.pid))
            if samples[-1] <= 1.2 * baseline:
                break
            time.sleep(2)
        back = time.perf_counter() - closed
        record_property("memory_mb", {"baseline": round(baseline), "peak": round(peak),
                                      "after": round(samples[-1]), "seconds": round(back, 1)})
        print(f"RSS: baseline {baseline:.0f} MB, peak {peak:.0f} MB, {samples[-1]:.0f} MB {back:.0f} s "
              f"after the last session closed")
        assert peak > 1.2 * baseline, "the sessions were too small to test anything"
        assert samples[-1] <= 1.2 * baseline, (
            f"RSS stayed at {samples[-1]:.0f} MB, baseline {baseline:.0f} MB, peak {peak:.0f} MB")
