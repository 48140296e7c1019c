#!/usr/bin/env bash
# Installs the Debian packages the tests need, when missing: Redis and PostgreSQL, which the tests start as real
# processes; real documents none of us made (the PostgreSQL HTML docs, the libtasn1 and Graphviz PDF manuals);
# Chromium for the browser tests.
set -euo pipefail

packages=(redis-server redis-tools postgresql-15 postgresql-doc-15 libtasn1-doc graphviz-doc chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing ${missing[*]}..."
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
