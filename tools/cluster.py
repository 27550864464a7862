"""Replicas of the app behind a real HAProxy on loopback, with the settings of deploy/haproxy.cfg
(cookie-sticky sessions, health checks), for the proxy tests and the room load.

usage: with replicas_behind_proxy(("r1", "r2"), env={...}) as cluster: ... cluster.url ..."""
from __future__ import annotations

import re
import shutil
import subprocess
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools.serve import ARTIFACTS, ROOT, ServerError, free_port, streamlit_process, wait_until_healthy

COOKIE = "playground_replica"
DEPLOYED = ROOT / "deploy" / "haproxy.cfg"
# One line per request, easy to read back: backend and server, the cookie the client sent, the
# client, and the termination state, whose last two letters say what the proxy made of the cookie
# (N none, V valid, D its server was down, - no cookie in that backend) and did with it (N nothing,
# I inserted one in the response).
LOG_FORMAT = ("proxy-log backend=%b server=%s status=%ST cookie=%CC tsc=%tsc ua=%[capture.req.hdr(0)] "
              "method=%HM path=%HP")
LOG_LINE = re.compile(r"proxy-log backend=(\S+) server=(\S+) status=(\S+) cookie=(\S+) tsc=\S\S(\S\S) "
                      r"ua=(\S*) method=(\S+) path=(\S+)")


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise ServerError("HAProxy not found: install Debian's haproxy (apt-get install -y haproxy); "
                          "scripts/test.sh and .ci/run do")
    return found


def loopback_config(text: str, port: int, servers: dict[str, str]) -> str:
    """deploy/haproxy.cfg for replicas on loopback: the same settings, but bound to `port`, with
    named servers (cookie value = replica name, as PLAYGROUND_REPLICA says) in place of the DNS
    template, health checks every 0.5 s, and one parseable log line per request."""
    lines = text.splitlines()

    def replace(prefix: str, new: list[str], count: int = 1) -> None:
        found = [i for i, line in enumerate(lines) if line.strip().startswith(prefix)]
        if len(found) != count:
            raise ServerError(f"deploy/haproxy.cfg should have {count} line(s) starting {prefix!r}")
        for i in reversed(found):
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
            lines[i:i + 1] = [indent + x for x in new]

    replace("bind ", [f"bind 127.0.0.1:{port}"])
    replace("capture cookie ", [f"capture cookie {COOKIE} len 63", "capture request header User-Agent len 40",
                                f'log-format "{LOG_FORMAT}"'])
    replace("cookie ", [f"cookie {COOKIE} insert nocache"])
    replace("dynamic-cookie-key ", [])
    replace("default-server ", ["default-server check inter 500 fall 2 rise 2"])
    # both backends: the sessions' (where the cookie value counts) and the pages' (where it is unused)
    replace("server-template ", [f"server {name} {address.split('//')[1]} cookie {name}"
                                 for name, address in servers.items()], count=2)
    resolvers = next(i for i, line in enumerate(lines) if line.startswith("resolvers "))
    end = next((i for i in range(resolvers + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
               len(lines))
    del lines[resolvers:end]  # the Docker DNS is not here
    return "\n".join(lines) + "\n"


@dataclass
class Cluster:
    url: str
    replicas: dict[str, tuple[str, subprocess.Popen]]  # name -> (direct URL, process)
    log: Path

    def requests(self) -> list[dict]:
        """Every request the proxy has finished, as logged (a websocket is logged when it closes)."""
        keys = ("backend", "server", "status", "cookie", "persistence", "ua", "method", "path")
        return [dict(zip(keys, m.groups())) for m in map(LOG_LINE.search, self.log.read_text().splitlines())
                if m]


@contextmanager
def replicas_behind_proxy(names: tuple[str, ...], env: dict[str, str] | None = None,
                          config_dir: Path = ARTIFACTS):
    """`streamlit run app.py` once per name (PLAYGROUND_REPLICA=name, plus `env`), HAProxy in front;
    yields the Cluster once the proxy answers, and stops everything after."""
    haproxy = haproxy_binary()
    with ExitStack() as stack:
        replicas = {}
        for name in names:
            own = {**(env or {}), "PLAYGROUND_REPLICA": name}
            replicas[name] = stack.enter_context(streamlit_process(f"server-{name}.log", env=own))
        port = free_port()
        config_dir.mkdir(parents=True, exist_ok=True)
        config = config_dir / "haproxy.cfg"
        addresses = {name: url for name, (url, _) in replicas.items()}
        config.write_text(loopback_config(DEPLOYED.read_text(), port, addresses))
        check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ServerError(f"HAProxy refused {config}: {check.stdout}{check.stderr}")
        log = ARTIFACTS / "haproxy.log"
        with open(log, "w") as out:
            proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out,
                                     stderr=subprocess.STDOUT)

        def stop():
            proxy.terminate()
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proxy.kill()

        stack.callback(stop)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, proxy, 30, f"HAProxy did not answer; see {log}")
        yield Cluster(url, replicas, log)
