#!/usr/bin/env bash
# Profiles the fastmcp server (and any fastmcp@rev given with -servers): a CPU profile and the allocations made during
# the measured window (net/http/pprof on a separate loopback port, enabled by
# the server's -pprof flag), then prints the top entries of each profile taken.
# By default it profiles the 16-session call load (fastmcp-16-*.pb.gz) and the
# new-sessions load (fastmcp-sessions-*.pb.gz); with -phases stdio, each stdio
# measurement (fastmcp-stdio-<in flight>-*.pb.gz); with -phases modern and
# -profile-level N, the sessionless 2026-07-28 calls (fastmcp-modern-N-*.pb.gz).
# A fastmcp@rev server's files start with its name (fastmcp@c6971a9-16-*).
#
#   ./profile.sh [outdir] [loadgen flags...]    # default outdir: profiles
#   ./profile.sh profiles -phases stdio         # stdio, sequential and 64 in flight
#   ./profile.sh profiles -servers fastmcp,fastmcp@c6971a9 -levels 64 -profile-level 64 -phases calls
set -euo pipefail
cd "$(dirname "$0")"
# bench is its own module, outside the repository's go.work.
export GOWORK=off
OUT=${1:-profiles}
shift || true
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/" ./servers/fastmcp ./loadgen
mkdir -p "$OUT"
touch "$BIN/started"
"$BIN/loadgen" -bin-dir "$BIN" -servers fastmcp -levels 16 -rounds 1 \
	-duration 20s -profile "$OUT" -profile-level 16 -phases calls,sessions "$@" 2>&1 >/dev/null | grep '^round'
echo "(profiles cover the measured window: calls = calls/s × duration)"
for CPU in $(find "$OUT" -name 'fastmcp*-cpu.pb.gz' -newer "$BIN/started" | sort); do
	P=${CPU%-cpu.pb.gz}
	echo
	echo "######## $(basename "$P")"
	echo "== CPU, top cumulative (all)"
	go tool pprof -top -cum -nodecount=40 "$CPU" 2>/dev/null | sed -n '1,50p'
	echo
	echo "== CPU, top 15 cumulative in github.com/fastmcp-go/fastmcp"
	go tool pprof -top -cum -nodecount=400 "$CPU" 2>/dev/null | grep 'fastmcp-go/fastmcp' | head -15
	echo
	echo "== allocated bytes during the window, top cumulative in github.com/fastmcp-go/fastmcp"
	go tool pprof -sample_index=alloc_space -base "$P-allocs-base.pb.gz" -top -cum -nodecount=400 "$P-allocs.pb.gz" 2>/dev/null | grep 'fastmcp-go/fastmcp' | head -15
	echo
	echo "== allocation count during the window (total = the 'of N total' figure), top flat"
	go tool pprof -sample_index=alloc_objects -base "$P-allocs-base.pb.gz" -top -nodecount=25 "$P-allocs.pb.gz" 2>/dev/null | sed -n '1,35p'
done
