package openapi

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds each HTTP exchange with the API, reading the
	// response included.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes is how much of a response body is read: 1 MiB.
	// A longer body is cut there and the result says so.
	DefaultMaxResponseBytes = 1 << 20
	// DefaultMaxErrorBytes is how much of the body of an error answer (not
	// 2xx) the result quotes: 2 KiB.
	DefaultMaxErrorBytes = 2 << 10
	// DefaultURIPrefix starts the URIs of the resources and templates made
	// from operations: GET /store/inventory becomes
	// openapi://store/inventory.
	DefaultURIPrefix = "openapi://"
)

// Options configures how Register turns a document's operations into tools,
// resources and templates, and how they call the API. The zero value works:
// every operation becomes a tool calling the document's first server with
// http.DefaultClient.
type Options struct {
	// BaseURL is the URL the operations' paths are appended to, such as
	// "https://api.example.com/v2". Default: the first server of the
	// operation (its own servers, else its path's, else the document's), with
	// its variables at their default values; a relative server URL is resolved
	// against Document.Location. A document without a usable server and no
	// BaseURL is an error of Register. A malformed BaseURL panics.
	BaseURL string
	// Client sends the requests. Default: http.DefaultClient. Its redirect
	// policy applies (Go's default follows up to 10 redirects and drops
	// Authorization and cookies when the host changes).
	Client *http.Client
	// Timeout bounds each exchange with the API, from sending the request to
	// reading the last byte of the response; the call then fails with a
	// result saying it timed out. Default: DefaultTimeout; negative: no bound
	// other than the tool's own timeout (fastmcp.Options.ToolTimeout).
	Timeout time.Duration
	// Headers are sent with every request, such as an API key:
	// http.Header{"X-Api-Key": {key}}. Header parameters of an operation
	// and Authorize can override them. Default: none.
	Headers http.Header
	// Authorize, when set, runs before each request is sent, with the MCP
	// request's context: it can add credentials, such as the caller's
	// (ForwardBearer). An error fails the call with its message (a
	// *fastmcp.UserError's, else a generic one). Default: none.
	Authorize func(ctx *fastmcp.Context, req *http.Request) error
	// RouteMaps decide what each operation becomes: the first rule that
	// matches an operation gives its Kind. An operation no rule matches
	// becomes a tool. Default: none, so every operation is a tool (as in
	// Python FastMCP); ResourceRoutes gives GET operations as resources and
	// templates. A RouteMap whose Path is not a valid regular expression
	// panics.
	RouteMaps []RouteMap
	// MaxResponseBytes is how much of a response body is read. A longer body
	// is cut there and the result ends with a line saying how much was left
	// out; a cut JSON body is sent as text only. Default:
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxErrorBytes is how much of the body of an answer with an error
	// status an isError result quotes. Default: DefaultMaxErrorBytes.
	MaxErrorBytes int
	// URIPrefix starts the URIs of resources and templates: the operation's
	// path follows without its leading slash. Default: DefaultURIPrefix.
	// Give each API its own prefix when a server registers several.
	URIPrefix string
	// EditTool, EditResource and EditResourceTemplate, when set, see each
	// component before it is registered and may change it: a title, a
	// Timeout, a CanAccess check, another name (keep names unique). The
	// handler or loader is set by Register and must be left alone.
	// Default: none.
	EditTool func(op *Operation, t *fastmcp.Tool)
	// EditResource: see EditTool.
	EditResource func(op *Operation, r *fastmcp.Resource)
	// EditResourceTemplate: see EditTool.
	EditResourceTemplate func(op *Operation, t *fastmcp.ResourceTemplate)
}

// Kind is what an operation becomes.
type Kind int

const (
	// AsTool makes the operation a tool (the default). Its arguments are
	// the operation's parameters and body.
	AsTool Kind = iota
	// AsResource makes the operation (a GET, normally) a resource read at a
	// fixed URI, its optional parameters left out. An operation with
	// required path or query parameters becomes a template instead; one that
	// needs a body, a header or a cookie stays a tool.
	AsResource
	// AsResourceTemplate makes the operation a resource template: its path
	// parameters are the template's path variables, its query parameters
	// the template's query ({?status,tags*}). An operation without
	// parameters becomes a resource instead; one that needs a body, a
	// header or a cookie stays a tool.
	AsResourceTemplate
	// Exclude leaves the operation out.
	Exclude
)

// String returns "tool", "resource", "resource template" or "excluded".
func (k Kind) String() string {
	switch k {
	case AsTool:
		return "tool"
	case AsResource:
		return "resource"
	case AsResourceTemplate:
		return "resource template"
	case Exclude:
		return "excluded"
	}
	return "unknown"
}

// RouteMap is a rule mapping operations to a Kind. Its conditions must all
// hold for an operation to match; an empty condition holds for every
// operation.
type RouteMap struct {
	// Methods are HTTP methods, in any case ("GET", "post"). Default: any.
	Methods []string
	// Path is a regular expression (RE2) matched against the path as the
	// document writes it, such as "/pet/{petId}": anchor it (^...$) to
	// match a whole path. Default: any path.
	Path string
	// Tags match an operation with at least one of them. Default: any.
	Tags []string
	// OperationIDs match operations with one of these operationIds.
	// Default: any.
	OperationIDs []string
	// Match, when set, is a further condition of your own.
	Match func(op *Operation) bool
	// Kind is what a matching operation becomes.
	Kind Kind

	path *regexp.Regexp
}

// ResourceRoutes returns route maps that make GET operations with path
// parameters resource templates, GET operations without any parameter
// resources, and leave the rest tools. Append your own rules after them, or
// before them to take precedence.
func ResourceRoutes() []RouteMap {
	return []RouteMap{
		{Methods: []string{http.MethodGet}, Kind: AsResourceTemplate, Match: func(op *Operation) bool {
			return slices.ContainsFunc(op.Parameters, func(p Parameter) bool { return p.In == "path" })
		}},
		{Methods: []string{http.MethodGet}, Kind: AsResource, Match: func(op *Operation) bool {
			return len(op.Parameters) == 0 && !op.HasBody
		}},
	}
}

func (m *RouteMap) matches(op *Operation) bool {
	if len(m.Methods) > 0 && !slices.ContainsFunc(m.Methods, func(s string) bool { return strings.EqualFold(s, op.Method) }) {
		return false
	}
	if m.path != nil && !m.path.MatchString(op.Path) {
		return false
	}
	if len(m.Tags) > 0 && !slices.ContainsFunc(m.Tags, func(t string) bool { return slices.Contains(op.Tags, t) }) {
		return false
	}
	if len(m.OperationIDs) > 0 && !slices.Contains(m.OperationIDs, op.OperationID) {
		return false
	}
	return m.Match == nil || m.Match(op)
}

// Operation describes an operation of the document, for route maps and the
// Edit hooks.
type Operation struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the path template as written in the document: "/pet/{petId}".
	Path string
	// OperationID is the operation's operationId; empty when it has none.
	OperationID string
	// Summary and Description are the operation's.
	Summary, Description string
	// Tags are the operation's tags.
	Tags []string
	// Deprecated is the operation's deprecated flag.
	Deprecated bool
	// Parameters are the operation's parameters, its path's included.
	Parameters []Parameter
	// HasBody says the operation takes a request body; BodyRequired that it
	// needs one.
	HasBody, BodyRequired bool
}

// Parameter describes a parameter of an operation.
type Parameter struct {
	// Name is the parameter's name; In where it goes: "path", "query",
	// "header" or "cookie".
	Name, In string
	// Required says the operation needs it.
	Required bool
	// Argument is the name of the tool argument holding it: Name, or
	// Name__In when another parameter or a body property has the same name.
	Argument string
}

// ForwardBearer returns an Authorize function that sends the MCP caller's
// credential to the API as "Authorization: Bearer <token>", for an API that
// accepts the same tokens as the MCP server. token extracts the credential
// from the request; nil uses the Token of the caller's *auth.User (what the
// verifiers of package auth return). No token, no header.
func ForwardBearer(token func(ctx *fastmcp.Context) string) func(ctx *fastmcp.Context, req *http.Request) error {
	if token == nil {
		token = func(ctx *fastmcp.Context) string {
			if u, ok := fastmcp.AuthFrom[*auth.User](ctx); ok && u != nil {
				return u.Token
			}
			return ""
		}
	}
	return func(ctx *fastmcp.Context, req *http.Request) error {
		if t := token(ctx); t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		}
		return nil
	}
}
