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
  .venv/bin/pip install -q --disable-pip-version-check -r "$1"
}
