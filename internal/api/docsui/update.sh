#!/usr/bin/env bash
# Refreshes the Redoc bundle embedded in the binary for /docs. Run by hand
# when upgrading Redoc; the server never loads it from a CDN.
set -euo pipefail
cd "$(dirname "$0")"
version="${1:-2.5.4}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "redoc@$version" --silent >/dev/null && tar xzf "redoc-$version.tgz")
cp "$tmp/package/bundles/redoc.standalone.js" redoc.standalone.js
cp "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" redoc.standalone.js.LICENSE.txt
cp "$tmp/package/LICENSE" LICENSE-redoc
# No source map is shipped; drop the reference so browsers do not ask for it.
sed -i '/^\/\/# sourceMappingURL=/d' redoc.standalone.js
# The sidebar's "API docs by Redocly" logo is an image on Redocly's CDN; an
# empty data URL instead makes it fail at once, and Redoc hides it.
sed -i 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#' redoc.standalone.js
grep -q 'cdn.redoc.ly' redoc.standalone.js && { echo "the bundle still names cdn.redoc.ly" >&2; exit 1; }
echo "$version" > VERSION
