#!/usr/bin/env bash
# Judge one geth-derived implementation as docs/targets.md does: build its own package p2p with dialcheck's
# glue and hold it to every profile of its generation at both levels with the derandomized default run.
#
#   docs/targets/judge.sh ~/src/celo-blockchain                              # your checkout (left as it was)
#   docs/targets/judge.sh ~/src/celo-blockchain docs/targets/celo-v1.8.9.waivers   # with its deviations waived
#   docs/targets/judge.sh github.com/ethereum-optimism/op-geth@v1.101702.3   # a release the Go module proxy serves
#   docs/targets/judge.sh ~/src/old-fork /usr/lib/go-1.19/bin/go             # a tree without go.mod: Go 1.19
#
# Writes build/LABEL (the program) and targets-LABEL/ (matrix.md, matrix.json, the counterexamples).
set -euo pipefail
if [[ $# -lt 1 ]]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
if [[ -d $1 ]]; then
    source=(--tree "$1")
    label=$(basename "$(cd "$1" && pwd)")
else
    source=(--release "$1")
    label=$(basename "${1/@/-}")
fi
shift
waivers=()
go=()
for arg in "$@"; do
    if [[ $arg == *.waivers ]]; then waivers=(--waivers "$label=$arg"); else go=(--go "$arg"); fi
done
cmd="$(dialcheck adapter "${source[@]}" "${go[@]}" --profiles all --out "build/$label" | tail -1)"
dialcheck matrix --hypothesis-profile ci --out "targets-$label" --cmd "$label=$cmd" "${waivers[@]}"
