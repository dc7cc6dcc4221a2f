#!/usr/bin/env bash
# Installs what certpilot needs on a fresh Debian machine: system packages (only those missing), uv in a
# small tools virtualenv, and a virtualenv at .venv with certpilot and the exact versions of
# requirements/*.lock. Sourced by the commands in scripts/; see docs/dependencies.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CERTPILOT_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
UV_VERSION=0.13.9
TOOLS="$ROOT/.venv-tools"
UV="$TOOLS/bin/uv"
KUBE_VERSION=1.36.2

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

quiet_pip() {
  # Runs pip and prints what it said, except the harmless "WARNING: Location ... is ignored" lines
  # about local package folders that some machines configure. A failed install fails the caller.
  local out status=0
  out="$("$@" 2>&1)" || status=$?
  printf '%s\n' "$out" | grep -v -e "^WARNING: Location" -e '^$' >&2 || true
  if [ "$status" != 0 ]; then
    echo "bootstrap: '$*' failed (exit $status, output above)" >&2
    return "$status"
  fi
}

uv_install() {
  # uv lives in its own virtualenv: `uv pip sync` removes from the project's venv whatever the lock
  # does not name, uv included.
  if [ ! -x "$UV" ] || [ "$("$UV" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "==> installing uv $UV_VERSION into $TOOLS"
    [ -x "$TOOLS/bin/python" ] || "$PYTHON" -m venv "$TOOLS"
    quiet_pip "$TOOLS/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
}

python_version_of() {
  # $1: a version like 3.12. Prints the path of a working interpreter of it, or nothing.
  local py candidates=()
  for py in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python"$1"; do
    candidates+=("$py")
  done
  py="$(command -v "python$1" 2>/dev/null || true)"
  [ -n "$py" ] && candidates+=("$py")
  for py in "${candidates[@]}"; do
    # A pyenv shim exists for every installed version but fails unless that version is selected.
    if [ -x "$py" ] && "$py" -c 'import sys, venv' >/dev/null 2>&1; then
      echo "$py"
      return
    fi
  done
}

installed_stamp() {
  # $1: lock file, $2: virtualenv. What the venv's stamp holds once $1 is installed there.
  echo "$(cat "$1" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1) $("$2/bin/python" -VV | tr '\n' ' ')"
}

venv_install() {
  # $1: "" (runtime) or "[test]"; $2: the virtualenv (default $VENV); $3: its interpreter (default
  # $PYTHON). Installs requirements/{runtime,test}.lock exactly, then certpilot itself, editable.
  # Reinstalls whenever the lock, pyproject.toml or the interpreter changes.
  local venv="${2:-$VENV}" python="${3:-$PYTHON}" lock="$ROOT/requirements/runtime.lock"
  local test_lock="$ROOT/requirements/test.lock"
  [ "$1" = "[test]" ] && lock="$test_lock"
  uv_install
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating virtualenv $venv"
    "$python" -m venv "$venv"
  fi
  local want
  want="$(installed_stamp "$lock" "$venv")"
  [ -f "$venv/.certpilot-installed$1" ] && [ "$(cat "$venv/.certpilot-installed$1")" = "$want" ] && return
  # The test lock is a superset of the runtime one: a venv ready for the tests serves the quickstart too.
  [ -z "$1" ] && [ -f "$venv/.certpilot-installed[test]" ] &&
    [ "$(cat "$venv/.certpilot-installed[test]")" = "$(installed_stamp "$test_lock" "$venv")" ] && return
  echo "==> installing ${lock#"$ROOT"/} and certpilot into $venv"
  rm -f "$venv"/.certpilot-installed*
  "$UV" pip sync -q --python "$venv/bin/python" "$lock"
  "$UV" pip install -q --python "$venv/bin/python" --no-deps -e "$ROOT"
  # certpilot's own requirements (pyproject.toml's ranges) must be met by the lock's versions.
  "$UV" pip check -q --python "$venv/bin/python" || {
    echo "bootstrap: $venv is inconsistent (above); if it is certpilot's own requirement, the lock" \
      "lags pyproject.toml: run scripts/lock" >&2
    return 1
  }
  "$venv/bin/python" -c "import certpilot"
  echo "$want" >"$venv/.certpilot-installed$1"
}

kube_assets() {
  # Exports KUBEBUILDER_ASSETS (kube-apiserver, kube-controller-manager, kubectl, etcd in one folder) for
  # the Kubernetes tests: the caller's own if it is complete, else unpacked once from ../shared/kube.
  # Without either, says why the Kubernetes tests will skip (or fails, if CERTPILOT_REQUIRE_KUBE is set).
  local binaries=(kube-apiserver kube-controller-manager kubectl etcd) b
  if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
    local absent=()
    for b in "${binaries[@]}"; do [ -x "$KUBEBUILDER_ASSETS/$b" ] || absent+=("$b"); done
    if [ ${#absent[@]} = 0 ]; then
      echo "==> Kubernetes binaries from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
      return
    fi
    echo "==> KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks ${absent[*]}; looking elsewhere"
  fi
  local shared="$ROOT/../shared/kube"
  if [ ! -f "$shared/SHA256SUMS" ]; then
    unset KUBEBUILDER_ASSETS
    if [ -n "${CERTPILOT_REQUIRE_KUBE:-}" ]; then
      echo "bootstrap: CERTPILOT_REQUIRE_KUBE is set, but there is no KUBEBUILDER_ASSETS and no $shared" >&2
      return 1
    fi
    echo "==> Kubernetes tests will skip: no KUBEBUILDER_ASSETS and no $shared"
    return
  fi
  local assets="${XDG_CACHE_HOME:-$HOME/.cache}/certpilot/kube-$KUBE_VERSION" checked=""
  mkdir -p "$assets"
  for b in kube-apiserver kube-controller-manager kubectl; do
    [ -x "$assets/$b" ] && continue
    if [ -z "$checked" ]; then
      apt_install xz:xz-utils
      (cd "$shared" && sha256sum --quiet --check SHA256SUMS) || {
        echo "bootstrap: $shared/SHA256SUMS does not match its files" >&2
        return 1
      }
      checked=1
      echo "==> unpacking Kubernetes $KUBE_VERSION binaries into $assets"
    fi
    # Unpacked beside, then renamed: a run that stops half-way, or one beside it, never sees half a binary.
    xz -dc "$shared/$b.xz" >"$assets/$b.tmp.$$"
    chmod +x "$assets/$b.tmp.$$"
    mv -f "$assets/$b.tmp.$$" "$assets/$b"
  done
  apt_install etcd:etcd-server
  if [ "$(readlink "$assets/etcd" || true)" != "$(command -v etcd)" ]; then
    ln -sfn "$(command -v etcd)" "$assets/etcd.tmp.$$"
    mv -Tf "$assets/etcd.tmp.$$" "$assets/etcd"
  fi
  export KUBEBUILDER_ASSETS="$assets"
  echo "==> Kubernetes binaries in KUBEBUILDER_ASSETS=$assets"
}

modern_pebble() {
  # Exports CERTPILOT_PEBBLE_DIR (pebble + pebble-challtestsrv v2.10.1: ARI, profiles, IP identifiers,
  # dns-persist-01) for the tests of those features, unpacked once from ../shared/pebble. Without it those
  # tests skip with a reason (or fail, if CERTPILOT_REQUIRE_KUBE is set: CI runs every peer it has).
  local shared="$ROOT/../shared/pebble" b
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/certpilot/pebble-2.10.1"
  if [ ! -f "$shared/SHA256SUMS" ]; then
    if [ -n "${CERTPILOT_REQUIRE_KUBE:-}" ]; then
      echo "bootstrap: CERTPILOT_REQUIRE_KUBE is set, but there is no $shared" >&2
      return 1
    fi
    echo "==> tests of ARI, profiles, IP identifiers and dns-persist-01 will skip: no $shared"
    return
  fi
  mkdir -p "$dir"
  if [ ! -x "$dir/pebble" ] || [ ! -x "$dir/pebble-challtestsrv" ]; then
    apt_install xz:xz-utils
    (cd "$shared" && sha256sum --quiet --check SHA256SUMS) || {
      echo "bootstrap: $shared/SHA256SUMS does not match its files" >&2
      return 1
    }
    for b in pebble pebble-challtestsrv; do
      xz -dc "$shared/$b.xz" >"$dir/$b.tmp.$$"
      chmod +x "$dir/$b.tmp.$$"
      mv -f "$dir/$b.tmp.$$" "$dir/$b"
    done
  fi
  export CERTPILOT_PEBBLE_DIR="$dir"
  echo "==> pebble 2.10.1 in CERTPILOT_PEBBLE_DIR=$dir"
}
