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

echo "== versitygw (S3 server for the replication tests)"
# Installed once into GOPATH's bin and reused. `go install pkg@version` leaves
# `versitygw --version` printing "Version git" (the release sets it with
# -ldflags), so the module version recorded in the binary is what is checked.
versitygw_version=v1.8.0
gopath=$(go env GOPATH)
versitygw="${gopath%%:*}/bin/versitygw"
versitygw_build=$( [ -x "$versitygw" ] && go version -m "$versitygw" 2>/dev/null || true)
if grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$versitygw_version[[:space:]]" <<<"$versitygw_build"; then
  echo "found versitygw $versitygw_version at $versitygw"
else
  echo "installing versitygw $versitygw_version into $versitygw (about a minute)"
  rm -f "$versitygw" # go install will not replace a file that is not a Go binary
  GOBIN="${gopath%%:*}/bin" go install "github.com/versity/versitygw/cmd/versitygw@$versitygw_version"
fi
export WXBASE_TEST_VERSITYGW="$versitygw"

echo "== go test"
# The race detector needs cgo, so a C compiler.
if ! command -v gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing gcc (go test -race needs a C compiler)"
    apt-get update -qq && apt-get install -y -qq gcc >/dev/null
  else
    echo "go test -race needs a C compiler: install gcc (e.g. sudo apt-get install gcc) and run again"; exit 1
  fi
fi
go test -race -count=1 ./...

echo "== mini-program SDK (sdk/miniprogram)"
cd sdk/miniprogram
npm ci --no-audit --no-fund --loglevel=error
npm run --silent check:dist   # the committed bundle is what the sources build
npm run --silent typecheck    # adapters against miniprogram-api-typings; the API as a TS consumer sees it
npm run --silent check:pack   # WeChat's npm packer (miniprogram-ci) on the published tarball
npm test                      # node --test against the real binary, bundle in a vm sandbox
