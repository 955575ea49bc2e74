#!/usr/bin/env bash
# Judge one geth-derived implementation as docs/targets.md does: build its own package p2p with dialcheck's
# glue and hold it to every profile of its generation at both levels with the derandomized default run.
#
#   docs/targets/judge.sh ~/src/celo-blockchain                              # your checkout (left as it was)
#   docs/targets/judge.sh ~/src/celo-blockchain docs/targets/celo-v1.8.9.waivers   # with its deviations waived
#   docs/targets/judge.sh github.com/ethereum-optimism/op-geth@v1.101702.3   # a release the Go module proxy serves
#   docs/targets/judge.sh ~/src/old-fork /usr/lib/go-1.19/bin/go             # a tree without go.mod: Go 1.19
#
# Writes build/LABEL (the program) and targets-LABEL/ (matrix.md, matrix.json, the counterexamples); LABEL is
# the checkout's folder name or the release. Exit as dialcheck matrix: 0 nothing failed, 1 a cell failed,
# 2 bad input.
set -euo pipefail
usage() {
    sed -n '2,12p' "$0" >&2
    exit 2
}
[[ $# -ge 1 && $# -le 3 ]] || usage
if [[ -d $1 ]]; then
    source=(--tree "$1")
    label=$(basename "$(cd "$1" && pwd)")
elif [[ $1 == v[0-9]* || $1 == *@v[0-9]* ]]; then
    source=(--release "$1")
    label=$(basename "${1/@/-}")
else
    echo "judge.sh: $1 is neither a folder (a checkout) nor a release (vX.Y.Z or MODULE@VERSION)" >&2
    exit 2
fi
shift
waivers=()
go=()
for arg in "$@"; do
    if [[ $arg == *.waivers && -f $arg && ${#waivers[@]} -eq 0 ]]; then
        waivers=(--waivers "$label=$arg")
    elif [[ $arg != *.waivers && ${#go[@]} -eq 0 ]] && command -v "$arg" > /dev/null; then
        go=(--go "$arg")
    else
        echo "judge.sh: $arg is neither a waivers file (one, *.waivers) nor a go command (one, executable)" >&2
        exit 2
    fi
done
# ${a[@]+"${a[@]}"}: an empty array under set -u, in every bash (3.2 too).
cmd="$(dialcheck adapter "${source[@]}" ${go[@]+"${go[@]}"} --profiles all --out "build/$label" | tail -1)"
dialcheck matrix --hypothesis-profile ci --out "targets-$label" --cmd "$label=$cmd" ${waivers[@]+"${waivers[@]}"}
