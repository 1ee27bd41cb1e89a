package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/fastmcp-go/fastmcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const modulePath = "github.com/fastmcp-go/fastmcp"

// cliVersion is the version of the fastmcp module this binary was built
// from: a tag for "go install ...@v1.2.3", "(devel)" for a build in a
// checkout.
func cliVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path == modulePath && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			return d.Version
		}
	}
	return "(devel)"
}

// releasedVersion returns the module version when it is a real release
// (usable in a go.mod), or "".
func releasedVersion() string {
	v := cliVersion()
	if strings.HasPrefix(v, "v") && !strings.Contains(v, "+dirty") {
		return v
	}
	return ""
}

var versionCommand = &command{
	name:    "version",
	summary: "print the version and the MCP protocol revisions supported",
	usage:   "fastmcp version [--json]",
	help: `Version prints the version of fastmcp (from the build information: a tag
when installed with "go install ...@version", "(devel)" when built from a
checkout, with the VCS revision when known), the Go version it was built
with, the MCP protocol revisions FastMCP servers negotiate, and those the
client in this command (the official Go SDK) speaks: the 2026-07-28
revision without a handshake, and the revisions negotiated by initialize.`,
	examples: `fastmcp version
fastmcp version --json | jq -r .version`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var asJSON bool
		f.Bool(&asJSON, "json", "", "print JSON")
		return func(ctx context.Context, args, server []string) int {
			if len(args) > 0 || server != nil {
				return a.fail("version", usagef("version takes no arguments"))
			}
			info := map[string]any{
				"version":                cliVersion(),
				"go":                     runtime.Version(),
				"platform":               runtime.GOOS + "/" + runtime.GOARCH,
				"serverProtocolVersions": fastmcp.SupportedProtocolVersions(),
				"clientProtocolVersions": mcp.SupportedProtocolVersions(),
			}
			sdk := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision":
						info["revision"] = s.Value
					case "vcs.modified":
						info["modified"] = s.Value == "true"
					}
				}
				for _, d := range bi.Deps {
					if d.Path == "github.com/modelcontextprotocol/go-sdk" {
						sdk = d.Version
						info["goSDK"] = d.Version
					}
				}
			}
			if asJSON {
				if err := writeJSON(a.stdout, info); err != nil {
					return a.fail("version", err)
				}
				return exitOK
			}
			p := a.colorFor(a.stdout)
			line := p.bold("fastmcp") + " " + cliVersion()
			if rev, ok := info["revision"].(string); ok {
				if len(rev) > 12 {
					rev = rev[:12]
				}
				line += " (" + rev
				if info["modified"] == true {
					line += ", modified"
				}
				line += ")"
			}
			fmt.Fprintln(a.stdout, line)
			fmt.Fprintf(a.stdout, "built with %s for %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			client := "the client (Go SDK"
			if sdk != "" {
				client += " " + sdk
			}
			client += ")"
			fmt.Fprintf(a.stdout, "MCP protocol revisions:\n  %-28s %s\n  %-28s %s\n",
				"FastMCP servers:", strings.Join(fastmcp.SupportedProtocolVersions(), ", "),
				client+":", strings.Join(mcp.SupportedProtocolVersions(), ", "))
			return exitOK
		}
	},
}
