#!/usr/bin/env bash
# Runs every wxbase check and test. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -race -count=1 ./...
