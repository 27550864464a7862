# Sourced by run.sh and test.sh.

# Install Debian packages, with sudo when not root.
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing $* (Debian packages)" >&2
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Make .venv with this machine's python3 and install the requirements file $1 into it.
make_venv() {
  # Debian's python3 has no venv module until python3-venv is installed
  python3 -c "import ensurepip, venv" 2>/dev/null || apt_install python3-venv
  python3 -m venv .venv
  # PLAYGROUND_LOCKED=1: install the hashed lock beside the requirements file (requirements.lock,
  # requirements-dev.lock; made by `uv pip compile --generate-hashes`) with --require-hashes. Off
  # by default: the lock pins PyPI's own wheels (torch with its CUDA libraries), and a machine whose
  # index or wheel folder serves other builds of them (a CPU-only torch) cannot match those hashes.
  if [ "${PLAYGROUND_LOCKED:-0}" = 1 ]; then
    .venv/bin/pip install -q --disable-pip-version-check --require-hashes -r "${1%.txt}.lock"
  else
    .venv/bin/pip install -q --disable-pip-version-check -r "$1"
  fi
}
