#!/usr/bin/env bash
# Reproduce one row of docs/fidelity.md: build a geth release (or a checkout) with dialcheck's glue
# and hold it to every profile of its family with the derandomized default run, strict level.
#
#   docs/fidelity/reproduce.sh v1.17.10                              # a release of the Go module proxy (v1.9.10 on)
#   docs/fidelity/reproduce.sh ~/src/go-ethereum /usr/lib/go-1.19/bin/go   # a checkout (GOPATH-era: give Go 1.19)
#
# Writes build/LABEL (the program) and fidelity-LABEL/matrix.md, matrix.json and the counterexamples.
set -euo pipefail
if [[ $# -lt 1 ]]; then
    sed -n '2,8p' "$0" >&2
    exit 2
fi
if [[ $1 == v[0-9]* ]]; then
    source=(--release "$1")
    label=$1
else
    source=(--tree "$1")
    label=$(basename "$1")
fi
go=()
if [[ $# -ge 2 ]]; then go=(--go "$2"); fi
cmd="$(dialcheck adapter "${source[@]}" "${go[@]}" --profiles all --out "build/$label" | tail -1)"
dialcheck matrix --level strict --hypothesis-profile ci --out "fidelity-$label" --cmd "$label=$cmd"
