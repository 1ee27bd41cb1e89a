#!/usr/bin/env bash
# Builds the servers (the four below, fastmcp-proxy and fastmcp-redis) and the load generator, then runs the full
# benchmark side by side: FastMCP, the official Go SDK, mark3labs/mcp-go, and
# the bare "floor" servers (net/http, and a bare stdio loop) for reference,
# over HTTP in both protocol eras and over stdio. Results go to
# results/latest.md and results/latest.json (and the Markdown table to
# standard output).
#
#   ./run.sh                  # full run (~30 minutes on 2 cores)
#   ./run.sh -quick           # smoke run
#   ./run.sh -rounds 3 ...    # any loadgen flag
#   ./run.sh -servers fastmcp,fastmcp@c6971a9,gosdk,mcpgo,floor
#                             # also FastMCP as of commit c6971a9, built by the
#                             # load generator: before and after in one run
#   ./run.sh -servers fastmcp,fastmcp-proxy
#                             # the fastmcp server directly and through
#                             # fastmcp's proxy (proxy/), side by side
#   ./run.sh -servers fastmcp,fastmcp-redis -ref fastmcp-redis -phases calls,modern,sessions \
#            -levels 16,64 -modern-levels 16,64 -json results/cluster.json -md results/cluster.md
#                             # one fastmcp process (in-memory stores) beside two
#                             # replicas on a redis-server of the load generator's
#                             # (needs redis-server on PATH), with Redis commands
#                             # and round trips per call and per new session
#   ./run.sh -servers fastmcp,fastmcp-redis -phases tasks -rounds 3 -json results/tasks.json -md results/tasks.md
#                             # task life cycles of the tasks extension (16 clients: create, then
#                             # tasks/get until completed), in memory and on Redis, with Redis
#                             # commands per task
set -euo pipefail
cd "$(dirname "$0")"
# bench is its own module, outside the repository's go.work.
export GOWORK=off
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/" ./servers/fastmcp ./servers/gosdk ./servers/mcpgo ./servers/floor ./servers/fastmcp-proxy ./servers/fastmcp-redis ./loadgen
mkdir -p results
"$BIN/loadgen" -bin-dir "$BIN" -servers fastmcp,gosdk,mcpgo,floor \
	-json results/latest.json -md results/latest.md "$@"
