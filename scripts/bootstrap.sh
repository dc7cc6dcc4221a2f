#!/usr/bin/env bash
# Installs what certpilot needs on a fresh Debian machine: system packages (only those missing)
# and a virtualenv at .venv with certpilot and its pinned dependencies. Sourced by the two commands.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CERTPILOT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

apt_install() {
  # $@: "binary:package" pairs; installs the packages whose binary is missing.
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

venv_install() {
  # $1: pip extras ("" or "[test]")
  local stamp="$VENV/.certpilot-installed$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    echo "==> pip install -e .$1"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT$1" 2>&1 | grep -v "^WARNING: Location" || true
    "$VENV/bin/python" -c "import certpilot" && touch "$stamp"
  fi
}
