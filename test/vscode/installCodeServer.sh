#!/usr/bin/env bash
# Installs what the real-VS-Code tests need on Debian 12 with Node 20, as root: Debian's chromium
# (with a CJK font, so screenshots of Chinese text show characters, not boxes), and code-server 4.100.3 (VS Code 1.100.3) from npm into .vscode-test/code-server. Its npm
# postinstall downloads binaries, which this network refuses, so its steps are done by hand.
# Idempotent: does nothing when both are present.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.vscode-test/code-server
cs="$dest/node_modules/code-server"

if ! command -v chromium >/dev/null 2>&1 || ! command -v rg >/dev/null 2>&1 || [ ! -e /usr/include/gssapi/gssapi.h ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium ripgrep libkrb5-dev fonts-wqy-zenhei >/dev/null
fi

if [ -x "$cs/out/node/entry.js" ] || [ -f "$dest/.installed" ]; then exit 0; fi
mkdir -p "$dest"
(
  cd "$dest"
  [ -f package.json ] || echo '{"name":"code-server-for-tests","private":true}' > package.json
  npm install --no-audit --no-fund --save-exact code-server@4.100.3 --ignore-scripts >/dev/null
  cd node_modules/code-server/lib/vscode
  npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null
  mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  npm_config_yes=true npm rebuild node-pty @parcel/watcher @vscode/spdlog kerberos native-watchdog @vscode/deviceid >/dev/null
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
  (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
  (cd extensions && npm install --no-audit --no-fund --omit=dev >/dev/null)
)
(cd "$dest" && npm rebuild argon2 --build-from-source >/dev/null)
"$dest/node_modules/.bin/code-server" --version
touch "$dest/.installed"
