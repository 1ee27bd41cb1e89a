package fastmcpotel

import "go.opentelemetry.io/otel/attribute"

// Attribute keys of the MCP semantic conventions and of the general ones
// they use.
const (
	keyMethod              = attribute.Key("mcp.method.name")
	keySessionID           = attribute.Key("mcp.session.id")
	keyProtocolVersion     = attribute.Key("mcp.protocol.version")
	keyResourceURI         = attribute.Key("mcp.resource.uri")
	keyToolName            = attribute.Key("gen_ai.tool.name")
	keyPromptName          = attribute.Key("gen_ai.prompt.name")
	keyOperationName       = attribute.Key("gen_ai.operation.name")
	keyToolArguments       = attribute.Key("gen_ai.tool.call.arguments")
	keyToolResult          = attribute.Key("gen_ai.tool.call.result")
	keyRequestID           = attribute.Key("jsonrpc.request.id")
	keyStatusCode          = attribute.Key("rpc.response.status_code")
	keyErrorType           = attribute.Key("error.type")
	keyNetworkTransport    = attribute.Key("network.transport")
	keyNetworkProtocolName = attribute.Key("network.protocol.name")
	keyClientAddress       = attribute.Key("client.address")
	keyClientPort          = attribute.Key("client.port")

	// keyResultType is FastMCP's: "input_required" for a 2026-07-28
	// request answered with input_required.
	keyResultType = attribute.Key("fastmcp.result_type")
)

// otherMethod stands for a method MCP does not define, as the conventions'
// well-known value for unlisted ones.
const otherMethod = "_OTHER"

// methodNames are the request methods MCP defines, in every revision
// FastMCP serves, and otherMethod last: anything else a client sends is
// recorded as otherMethod, so that a client cannot grow the metrics' series
// or the span names.
var methodNames = []string{
	"initialize", "ping", "logging/setLevel", "completion/complete",
	"tools/list", "tools/call",
	"prompts/list", "prompts/get",
	"resources/list", "resources/templates/list", "resources/read",
	"resources/subscribe", "resources/unsubscribe",
	"server/discover", "subscriptions/listen",
	otherMethod,
}

// methodIndex maps each defined method to its place in methodNames.
var methodIndex = map[string]int{}

func init() {
	for i, m := range methodNames[:len(methodNames)-1] {
		methodIndex[m] = i
	}
}

// methodOf returns the method as recorded (itself when MCP defines it, else
// otherMethod) and its index in methodNames.
func methodOf(m string) (string, int) {
	if i, ok := methodIndex[m]; ok {
		return methodNames[i], i
	}
	return otherMethod, len(methodNames) - 1
}
