#!/usr/bin/env bash
# Runs the project's test suite (tests/**/*_test.ts, found afresh each run)
# on another runtime than Deno, through the Deno.test adapter in this folder:
#
#   runtimes/run.sh node20      system Node 20, node:test, bundled with esbuild
#   runtimes/run.sh node22      Node 22 from npm (package node), same bundles
#   runtimes/run.sh bun         Bun from npm (package bun), bun:test on the .ts
#                               files, plus a plain bun process for 3 tests
#   runtimes/run.sh chromium    Debian's chromium-headless-shell, driven by
#                               playwright-core, one page per test file,
#                               cross-origin isolated (SharedArrayBuffer)
#   runtimes/run.sh chromium-unisolated   the same, pages served without
#                               COOP/COEP (no SharedArrayBuffer); not in "all"
#   runtimes/run.sh workerd     workerd (Cloudflare Workers' runtime) from npm
#                               (package miniflare), one Worker per test file
#   runtimes/run.sh typecheck   tsc on a consumer file against the package
#                               built as npm serves it (consumer/pack.ts),
#                               moduleResolution bundler and nodenext
#   runtimes/run.sh all         all of the above
#
# Installs what it needs: the npm tools of runtimes/package.json (npm ci,
# again whenever the lockfile changes) and, for chromium, the Debian package
# when no Chromium is there. Each runtime ends with a plain line
# "<runtime>: N passed, N failed, N skipped"; the exit status is non-zero
# when anything failed or did not run.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
RT=runtimes
BIN=$RT/node_modules/.bin
LIMIT=${DESYNC_RUNTIME_TIMEOUT:-900} # seconds per runtime, so a hang cannot eat CI

install_npm_tools() {
  local stamp=$RT/node_modules/.desync-installed
  if [ -f "$stamp" ] && [ "$stamp" -nt $RT/package-lock.json ] && [ "$stamp" -nt $RT/package.json ]; then
    return 0
  fi
  echo "::: installing runtimes/package.json's tools (npm ci)"
  # bun and node fetch their binary from a platform package of the npm
  # registry in an install script, allowed by package.json's allowScripts.
  # workerd's binary is in an optional dependency (@cloudflare/workerd-linux-64)
  # that npm installs like any package; its install script, which would only
  # check for that package (fetching it when missing) and hard-link the
  # binary, stays off (allowScripts). Nothing is downloaded at run time.
  npm ci --prefix $RT --no-audit --no-fund --loglevel=error || return 1
  touch "$stamp"
}

# Test files, relative to the repo, as Deno finds them.
test_files() {
  $BIN/tsx -e 'import("./runtimes/build.ts").then((m) => console.log(m.findTestFiles().join("\n")))'
}

# Prints the summary line; fails unless it ran tests and none failed.
summary() { # name passed failed skipped status
  echo "$1: $2 passed, $3 failed, $4 skipped"
  [ "$5" -eq 0 ] && [ "$3" -eq 0 ] && [ $(($2 + $3)) -gt 0 ]
}

# Reads "ℹ <key> N" from node:test's spec reporter output.
node_count() { sed -nE "s/^ℹ $1 ([0-9]+)$/\1/p" "$2" | tail -n 1; }

run_node() { # name node-binary
  local name=$1 node=$2 log status
  echo "::: $name: $($node --version), node:test"
  local bundles
  bundles=$($BIN/tsx $RT/build.ts node) || { summary "$name" 0 1 0 1; return; }
  log=$(mktemp)
  # shellcheck disable=SC2086 # one bundle per line, paths without spaces
  timeout "$LIMIT" "$node" --enable-source-maps --expose-gc --test --test-reporter=spec \
    $bundles 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  local pass fail cancelled skipped
  pass=$(node_count pass "$log")
  fail=$(node_count fail "$log")
  cancelled=$(node_count cancelled "$log")
  skipped=$(node_count skipped "$log")
  if grep -q '^﹣' "$log"; then
    echo "skipped on $name:"
    sed -nE 's/^﹣ (.*) \([0-9.]+ms\) # (.*)$/  \1: \2/p' "$log"
  fi
  rm -f "$log"
  summary "$name" "${pass:-0}" $((${fail:-1} + ${cancelled:-0})) "${skipped:-0}" "$status"
}

run_node20() {
  if [ "$(node --version | cut -d. -f1)" != "v20" ]; then
    echo "node20: the system node is $(node --version), not Node 20"
    summary node20 0 1 0 1
    return
  fi
  run_node node20 "$(command -v node)"
}

run_node22() { run_node node22 "$PWD/$RT/node_modules/node/bin/node"; }

run_bun() {
  local files log log2 status status2 pass fail skip errors pass2 fail2
  echo "::: bun: $($BIN/bun --version), bun:test"
  files=$(test_files | sed 's|^|./|') || { summary bun 0 1 0 1; return; }
  $BIN/tsx -e 'import("./runtimes/build.ts").then((m) => {
    m.ensureNpmPackages();
    for (const note of m.portabilityNotes()) console.error(`note: ${note}`);
  })' || return 1
  log=$(mktemp)
  log2=$(mktemp)
  # shellcheck disable=SC2086 # one file per line, paths without spaces
  timeout "$LIMIT" $BIN/bun test --preload ./$RT/bun_setup.ts $files 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  pass=$(sed -nE 's/^ *([0-9]+) pass$/\1/p' "$log" | tail -n 1)
  fail=$(sed -nE 's/^ *([0-9]+) fail$/\1/p' "$log" | tail -n 1)
  skip=$(sed -nE 's/^ *([0-9]+) skip$/\1/p' "$log" | tail -n 1)
  errors=$(sed -nE 's/^ *([0-9]+) errors?$/\1/p' "$log" | tail -n 1)
  echo "::: bun: the tests that bun test skips (see above), in a plain bun process"
  # shellcheck disable=SC2086
  timeout "$LIMIT" $BIN/bun $RT/bun_process.ts $files 2>&1 | tee "$log2"
  status2=${PIPESTATUS[0]}
  pass2=$(sed -nE 's/^bun-process: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$log2")
  fail2=$(sed -nE 's/^bun-process: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$log2")
  echo "skipped on bun (those run by bun_process.ts above count as run):"
  sed -nE 's/^skip: (.*) # (.*)$/  \1: \2/p' "$log"
  rm -f "$log" "$log2"
  summary bun $((${pass:-0} + ${pass2:-0})) $((${fail:-1} + ${errors:-0} + ${fail2:-1})) \
    $((${skip:-0} - ${pass2:-0} - ${fail2:-0})) $((status | status2))
}

run_chromium() { # [label]: chromium (isolated) or chromium-unisolated
  local label=${1:-chromium} chrome
  chrome=$(command -v chromium-headless-shell || command -v chromium || true)
  if [ -z "$chrome" ]; then
    echo "::: installing chromium-headless-shell (apt)"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      chromium-headless-shell >/dev/null; } || { summary "$label" 0 1 0 1; return; }
    chrome=$(command -v chromium-headless-shell)
  fi
  echo "::: $label: $chrome, in-page runner"
  local log status isolated=1
  [ "$label" = chromium-unisolated ] && isolated=0
  log=$(mktemp)
  DESYNC_CHROMIUM_ISOLATED=$isolated timeout "$LIMIT" $BIN/tsx $RT/chromium.ts "$chrome" 2>&1 |
    tee "$log"
  status=${PIPESTATUS[0]}
  if ! grep -qE "^$label: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped\$" "$log"; then
    summary "$label" 0 1 0 1 # it did not get to its own summary line
  fi
  rm -f "$log"
  return "$status"
}

run_chromium-unisolated() { run_chromium chromium-unisolated; }

run_workerd() {
  local log status
  # miniflare needs Node 22 or later: the Node 22 of runtimes/package.json.
  local node22=$PWD/$RT/node_modules/node/bin
  echo "::: workerd: driven by miniflare on Node $("$node22/node" --version), one Worker per test file"
  log=$(mktemp)
  PATH="$node22:$PATH" timeout "$LIMIT" $BIN/tsx $RT/workerd.ts 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  if ! grep -qE '^workerd: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log"; then
    summary workerd 0 1 0 1 # it did not get to its own summary line
  fi
  rm -f "$log"
  return "$status"
}

run_typecheck() {
  local ok=0 config
  echo "::: typecheck: $($BIN/tsc --version), consumer.ts against the package as npm serves it"
  $BIN/tsx $RT/consumer/pack.ts || return 1
  for config in $RT/consumer/tsconfig.bundler.json $RT/consumer/tsconfig.nodenext.json; do
    if $BIN/tsc -p "$config"; then
      echo "typecheck $config: ok"
    else
      echo "typecheck $config: FAILED"
      ok=1
    fi
  done
  # The packed JavaScript runs too, imported by name on the system's Node.
  if (cd $RT && node --input-type=module -e '
    import { Desync } from "@desync/desync";
    import { queue, futureSync } from "@desync/desync/scheduler";
    const d = new Desync(1);
    d.desync((n) => void (n.value += 1));
    if ((await d.futureSync((n) => n.value)) !== 2) process.exit(1);
    if ((await futureSync(queue(), () => 3)) !== 3) process.exit(1);'); then
    echo "import of the packed package on node $(node --version): ok"
  else
    echo "import of the packed package on node $(node --version): FAILED"
    ok=1
  fi
  return $ok
}

install_npm_tools || { echo "could not install runtimes/package.json's tools"; exit 1; }

failed=()
run() {
  if ! "run_$1"; then failed+=("$1"); fi
}
case "${1:-}" in
  node20 | node22 | bun | chromium | chromium-unisolated | workerd | typecheck) run "$1" ;;
  all) for r in node20 node22 bun chromium workerd typecheck; do run "$r"; done ;;
  *)
    echo "usage: runtimes/run.sh node20|node22|bun|chromium|chromium-unisolated|workerd|typecheck|all" >&2
    exit 2
    ;;
esac
if [ ${#failed[@]} -gt 0 ]; then
  echo "runtimes FAILED: ${failed[*]}"
  exit 1
fi
