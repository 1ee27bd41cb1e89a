// Package interop holds, in its tests, FastMCP driven by other
// implementations of MCP and OAuth: the official Go SDK client
// (github.com/modelcontextprotocol/go-sdk), the official TypeScript SDK
// clients (the npm packages in ts and ts2), and a real OpenID Provider
// (github.com/zitadel/oidc) upstream of the oauth proxy.
//
// It is a module of its own so that the library's module does not require
// those implementations. Run its tests from the repository root, where go.work
// makes the library, the examples and this module one workspace:
//
//	go test github.com/fastmcp-go/fastmcp/interop/...
//
// The TypeScript tests skip when their npm packages are not installed, unless
// FASTMCP_INTEROP=1 says they must run.
package interop
