#!/usr/bin/env bash
# Runs every test that needs no Docker and no Aspire packages (README "Test it"); extra arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"
eng/install-prerequisites.sh
dotnet test Rag.WithoutAspire.slnf "$@"
