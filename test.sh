#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on a fresh Debian 12 with the .NET 10 SDK,
# then runs the whole suite. Nothing is skipped: a missing dependency is installed here, not silently ignored.
set -euo pipefail
cd "$(dirname "$0")"
./build/install-deps.sh
dotnet test HistoPrognosis.sln -c Release "$@"
