"""The hosted profile and the image recipe say what the deployment needs."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_hosted_config_locks_the_server_down():
    config = tomllib.loads((ROOT / "deploy/config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["fileWatcherType"] == "none"
    assert 0 < config["server"]["maxUploadSize"] <= 5
    assert config["runner"]["postScriptGC"] is False


def test_laptop_config_keeps_the_fast_settings():
    config = tomllib.loads((ROOT / ".streamlit/config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none" and config["runner"]["postScriptGC"] is False
    assert config["client"]["showErrorDetails"] == "none"  # a laptop shared on a LAN leaks no traceback


def test_both_profiles_send_elements_whole():
    """No element goes through the browser's message cache, whose misses under a rerun storm close
    the connection for good (tests/test_browser_controls.py's storm caught it)."""
    for path in ("deploy/config.toml", ".streamlit/config.toml"):
        assert tomllib.loads((ROOT / path).read_text())["global"]["minCachedMessageSize"] >= 1e9, path


def test_dockerfile_runs_the_app_as_a_non_root_user_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert "FROM python:3.11-slim" in lines
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    cmd = max(i for i, line in enumerate(lines) if line.startswith("CMD "))  # the last CMD runs
    assert lines[user] != "USER root" and user < cmd
    assert "/_stcore/health" in text and "HEALTHCHECK" in text
    # the limits are checked first: a malformed one refuses to start instead of failing every page
    assert lines[cmd] == ('CMD ["sh", "-c", "python -m playground.serving.limits && exec streamlit run '
                          'app.py"]')
    assert "deploy/config.toml ./.streamlit/config.toml" in text


def test_the_image_leaves_the_tests_and_tools_out():
    """The image serves the app; the tests and the benchmark tools stay out of its build context."""
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"tests", "tools", ".venv", "artifacts"} <= ignored
    sources = [word for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
               for word in line.split()[1:-1] if not word.startswith("--")]
    assert sources and not [s for s in sources if s.split("/")[0] in ("tests", "tools", "scripts")], sources
