#!/usr/bin/env bash
# `make test-stress`: every suite `make test` runs (Rust on SQLite and on Postgres, then the
# browser suite), RUNS times over, while `stress-ng` keeps one core busy — a CI machine
# that is doing something else too. Prints each test that failed, with how often; exits
# non-zero if any did. Logs of every run stay in target/stress/.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
out=target/stress
rm -rf "$out"
mkdir -p "$out"

if ! command -v stress-ng >/dev/null; then
  echo "installing Debian's stress-ng"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng
fi

# Built once, before the load starts: the runs time the tests, not the compiler.
cargo test --features loadgen --no-run >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
cargo leptos build --release >>"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }

stress-ng --cpu 1 --cpu-load 100 --quiet &
load=$!
trap 'kill $load 2>/dev/null; wait $load 2>/dev/null' EXIT

# One line per failed test in $out/failures: "<suite> <test>".
: >"$out/failures"
started=$(date +%s)
for run in $(seq 1 "$runs"); do
  echo "run $run of $runs (one core loaded)"
  cargo test --features loadgen --no-fail-fast >"$out/rust-$run.log" 2>&1
  CLOUD_MSG_TEST_DATABASE=postgres cargo test --features loadgen --test api --no-fail-fast \
    >"$out/rust-pg-$run.log" 2>&1
  PLAYWRIGHT_JSON_OUTPUT_NAME="$out/e2e-$run.json" npx playwright test --reporter=line,json \
    >"$out/e2e-$run.log" 2>&1
  for suite in rust rust-pg; do
    sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' "$out/$suite-$run.log" | sed "s/^/$suite /" \
      >>"$out/failures"
    # A test binary that could not even start counts too.
    if grep -q '^error: test failed\|could not compile' "$out/$suite-$run.log" \
      && ! grep -q '\.\.\. FAILED$' "$out/$suite-$run.log"; then
      echo "$suite (the test binary itself: see $out/$suite-$run.log)" >>"$out/failures"
    fi
  done
  node -e '
    const fs = require("fs");
    const [file] = process.argv.slice(1);
    if (!fs.existsSync(file)) { console.log("e2e (no report: the suite did not run)"); process.exit(0); }
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    const walk = (suite, path) => {
      for (const spec of suite.specs ?? []) {
        for (const t of spec.tests) {
          if (t.status !== "expected" && t.status !== "skipped") {
            console.log(`e2e ${spec.file} › ${[...path, spec.title].join(" › ")}`);
          }
        }
      }
      for (const s of suite.suites ?? []) walk(s, s.title && !s.title.endsWith(".ts") ? [...path, s.title] : path);
    };
    for (const s of report.suites) walk(s, []);
  ' "$out/e2e-$run.json" >>"$out/failures"
  echo "  failures so far: $(wc -l <"$out/failures")"
done
took=$(( $(date +%s) - started ))

passed() { grep -h '^test .* \.\.\. ok$' "$out"/rust-*.log | wc -l; }
echo
echo "make test-stress: $runs runs in ${took}s with one core loaded"
echo "  Rust test results ok: $(passed); browser reports: $(ls "$out"/e2e-*.json 2>/dev/null | wc -l)"
if [ -s "$out/failures" ]; then
  echo "  failures per test:"
  sort "$out/failures" | uniq -c | sort -rn | sed 's/^/  /'
  echo "$(wc -l <"$out/failures") failed, logs in $out/"
  exit 1
fi
echo "  no test failed in any run"
