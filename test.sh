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

echo "== mini-program SDK (sdk/miniprogram)"
cd sdk/miniprogram
npm ci --no-audit --no-fund --loglevel=error
npm run --silent check:dist   # the committed bundle is what the sources build
npm run --silent typecheck    # adapters against miniprogram-api-typings; the API as a TS consumer sees it
npm run --silent check:pack   # WeChat's npm packer (miniprogram-ci) on the published tarball
npm test                      # node --test against the real binary, bundle in a vm sandbox
