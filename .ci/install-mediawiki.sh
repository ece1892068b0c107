#!/usr/bin/env bash
# Install PHP 8.2 and Debian's MediaWiki 1.39 for the real-server tests (tests/wiki).
#
# Runs as root on a fresh Debian 12 machine. Idempotent: exits at once when MediaWiki's
# installer and php are already present. Apache is NOT installed: an empty local package
# that "Provides: httpd" satisfies mediawiki's "apache2 | httpd" dependency, and
# php8.2-cgi satisfies php8.2's web-SAPI alternative. The tests serve the wiki with `php -S`.
set -euo pipefail

MW_INSTALLER=/usr/share/mediawiki/maintenance/install.php

if [[ -f "$MW_INSTALLER" ]] && command -v php >/dev/null 2>&1; then
    echo "install-mediawiki: MediaWiki and php already installed; nothing to do"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-mediawiki: must run as root" >&2
    exit 1
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# An empty package that stands in for a web server.
mkdir -p "$workdir/dummy-httpd/DEBIAN"
cat >"$workdir/dummy-httpd/DEBIAN/control" <<'CONTROL'
Package: dummy-httpd
Version: 1.0
Section: misc
Priority: optional
Architecture: all
Provides: httpd
Maintainer: kazenc-uploader CI <ci@localhost>
Description: empty stand-in satisfying "httpd" for the MediaWiki test server
 The test suite serves MediaWiki with php's built-in web server instead of Apache.
CONTROL
dpkg-deb --build "$workdir/dummy-httpd" "$workdir/dummy-httpd.deb" >/dev/null

export DEBIAN_FRONTEND=noninteractive
apt-get update
# apt needs a path with a slash to treat the argument as a local .deb.
cd "$workdir"
apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
    ./dummy-httpd.deb \
    php8.2-cli php8.2-cgi php8.2-sqlite3 php8.2-intl php8.2-mbstring php8.2-xml \
    mediawiki

test -f "$MW_INSTALLER"
php --version | head -n 1
echo "install-mediawiki: done"
