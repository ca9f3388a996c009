#!/usr/bin/env bash
# Run every qcos fuzz target for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
#
# With a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`), each target in
# fuzz/fuzz_targets runs coverage-guided under libFuzzer (with AddressSanitizer), its
# corpus seeded from tests/reliability_fuzz/regressions/<target>/. Any crashing input is
# copied into that regressions directory (so `cargo test --test reliability_fuzz` replays
# it forever after) and the script fails.
#
# Without nightly or cargo-fuzz, it falls back to the stable deterministic driver
# (tests/reliability_fuzz.rs) with many more inputs per target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
all=(xml_responses error_document key_encoding signer request_bodies small_parsers post_policy)
targets=("${@:-${all[@]}}")
if [ "$#" -eq 0 ]; then targets=("${all[@]}"); fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly' && cargo fuzz --version >/dev/null 2>&1; then
    failed=0
    for t in "${targets[@]}"; do
        corpus="fuzz/corpus/$t"
        mkdir -p "$corpus"
        cp -n tests/reliability_fuzz/regressions/"$t"/* "$corpus"/ 2>/dev/null || true
        echo "== $t: ${secs}s"
        if ! (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
                -max_total_time="$secs" -max_len=4096 -print_final_stats=1); then
            failed=1
            for a in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/oom-* fuzz/artifacts/"$t"/timeout-*; do
                [ -e "$a" ] || continue
                cp "$a" tests/reliability_fuzz/regressions/"$t"/
                echo "kept $a as tests/reliability_fuzz/regressions/$t/$(basename "$a")"
            done
        fi
    done
    exit "$failed"
else
    echo "nightly or cargo-fuzz missing: running the stable deterministic driver instead"
    iters=$((secs * 2000))
    QCOS_FUZZ_ITERS="$iters" cargo test --test reliability_fuzz -- --nocapture
fi
