#!/usr/bin/env bash
# Profiles the fastmcp server under the 16-session call load (and, in
# fastmcp-sessions-*.pb.gz, under the new-sessions load): a CPU profile and the
# allocations made during the measured window (net/http/pprof on a separate
# loopback port, enabled by the server's -pprof flag), then prints the top
# cumulative entries of github.com/fastmcp-go/fastmcp.
#
#   ./profile.sh [outdir] [loadgen flags...]    # default outdir: profiles
set -euo pipefail
cd "$(dirname "$0")"
# bench is its own module, outside the repository's go.work.
export GOWORK=off
OUT=${1:-profiles}
shift || true
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/" ./servers/fastmcp ./loadgen
"$BIN/loadgen" -bin-dir "$BIN" -servers fastmcp -levels 16 -rounds 1 \
	-duration 20s -profile "$OUT" -profile-level 16 -phases calls,sessions "$@" 2>&1 >/dev/null | grep '^round'
echo "(profiles cover the measured window: calls = calls/s × duration)"
CPU="$OUT/fastmcp-16-cpu.pb.gz"
ALLOCS="$OUT/fastmcp-16-allocs.pb.gz"
BASE="$OUT/fastmcp-16-allocs-base.pb.gz"
echo "== CPU, top cumulative (all)"
go tool pprof -top -cum -nodecount=40 "$CPU" 2>/dev/null | sed -n '1,50p'
echo
echo "== CPU, top 15 cumulative in github.com/fastmcp-go/fastmcp"
go tool pprof -top -cum -nodecount=400 "$CPU" 2>/dev/null | grep 'fastmcp-go/fastmcp' | head -15
echo
echo "== allocated bytes during the window, top cumulative in github.com/fastmcp-go/fastmcp"
go tool pprof -sample_index=alloc_space -base "$BASE" -top -cum -nodecount=400 "$ALLOCS" 2>/dev/null | grep 'fastmcp-go/fastmcp' | head -15
echo
echo "== allocation count during the window (total = the 'of N total' figure), top flat"
go tool pprof -sample_index=alloc_objects -base "$BASE" -top -nodecount=25 "$ALLOCS" 2>/dev/null | sed -n '1,35p'
