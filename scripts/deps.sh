#!/usr/bin/env bash
# Install what oomguard needs to build and test, from the platform's package
# manager, saying what it installs. Usage: scripts/deps.sh [build|test]
set -euo pipefail
what=${1:-build}

say() { printf 'oomguard: %s\n' "$*" >&2; }

if [ "$(uname -s)" = Darwin ]; then
  pkgs=(cmake pkg-config jansson check curl sqlite)
  [ "$what" = test ] && pkgs+=(llvm node)
  if ! command -v brew >/dev/null 2>&1; then
    say "Homebrew is needed to install: ${pkgs[*]} (https://brew.sh)"; exit 2
  fi
  missing=()
  for p in "${pkgs[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing with brew: ${missing[*]}"
    brew install "${missing[@]}"
  fi
  exit 0
fi

if command -v dpkg-query >/dev/null 2>&1; then
  pkgs=(build-essential cmake ninja-build pkg-config libjansson-dev check libsubunit-dev
        libcurl4-openssl-dev libsqlite3-dev)
  [ "$what" = test ] && pkgs+=(clang clang-format nginx nodejs npm python3)
  # packaging checks: JSON Schema validation, completion scripts in each shell,
  # the Homebrew formula's syntax, the Debian package build (scripts/test-deb)
  [ "$what" = test ] && pkgs+=(python3-jsonschema zsh fish ruby debhelper dpkg-dev lintian groff-base man-db bsdextrautils)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Node.js already on PATH (e.g. from nodesource or nvm) satisfies nodejs/npm.
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
    read -r -a missing <<<"${missing[*]}"
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing with apt-get: ${missing[*]}"
    # another apt-get or dpkg (unattended-upgrades, a second terminal) holds
    # the lock: wait for it (up to 10 minutes) instead of failing at once
    lock=(-o DPkg::Lock::Timeout=600)
    if command -v fuser >/dev/null 2>&1 &&
      fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
      say "waiting for the package manager's lock (another apt-get or dpkg is running)"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
  fi
  exit 0
fi

say "unknown platform: install cmake, pkg-config, jansson, check, libcurl and sqlite yourself"
exit 0
