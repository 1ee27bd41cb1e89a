//go:build !fastmcp_otel

package main

import (
	"context"

	"github.com/fastmcp-go/fastmcp"
)

// Without the fastmcp_otel build tag the example has no telemetry (see
// telemetry.go).

var clientRequestMeta func(context.Context) fastmcp.Meta

func startTelemetry() (stop func()) { return func() {} }

func instrument(*fastmcp.Server) {}
