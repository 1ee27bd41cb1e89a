package fastmcp

import (
	"encoding/json"
)

// Meta is the _meta member that most protocol objects may carry. Keys are
// free-form; the MCP specification reserves the "io.modelcontextprotocol/"
// prefix.
type Meta map[string]any

// Implementation describes a client or a server: the serverInfo and clientInfo
// members of the handshake.
type Implementation struct {
	// Name identifies the implementation to programs; it is displayed when
	// Title is empty.
	Name string `json:"name"`
	// Title is a human-readable name for display (2025-06-18 and later).
	Title string `json:"title,omitempty"`
	// Version is the implementation's version.
	Version string `json:"version"`
	// Description says what the implementation does (2025-11-25 and later).
	Description string `json:"description,omitempty"`
	// WebsiteURL is the implementation's home page (2025-11-25 and later).
	WebsiteURL string `json:"websiteUrl,omitempty"`
	// Icons are images a client may show for the implementation (2025-11-25 and
	// later).
	Icons []Icon `json:"icons,omitempty"`
}

// Icon is an image a client may show for a server, tool, resource or prompt
// (protocol revision 2025-11-25 and later; omitted for older clients).
type Icon struct {
	// Src is an http(s) or data: URI of the image.
	Src string `json:"src"`
	// MIMEType optionally overrides the type derived from Src.
	MIMEType string `json:"mimeType,omitempty"`
	// Sizes lists the sizes the image fits, such as "48x48" or "any".
	Sizes []string `json:"sizes,omitempty"`
	// Theme is "light" or "dark" when the icon suits only one background.
	Theme string `json:"theme,omitempty"`
}

// Role is the speaker of a prompt or sampling message: "user" or "assistant".
type Role string

// The two roles of a conversation.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Annotations tell a client how to use or display an object.
type Annotations struct {
	// Audience lists who the object is meant for.
	Audience []Role `json:"audience,omitempty"`
	// Priority is the importance from 0 (optional) to 1 (required).
	Priority *float64 `json:"priority,omitempty"`
	// LastModified is an ISO 8601 timestamp.
	LastModified string `json:"lastModified,omitempty"`
}

// LoggingLevel is the severity of a log message, as in RFC 5424.
type LoggingLevel string

// The eight logging levels, lowest first.
const (
	LevelDebug     LoggingLevel = "debug"
	LevelInfo      LoggingLevel = "info"
	LevelNotice    LoggingLevel = "notice"
	LevelWarning   LoggingLevel = "warning"
	LevelError     LoggingLevel = "error"
	LevelCritical  LoggingLevel = "critical"
	LevelAlert     LoggingLevel = "alert"
	LevelEmergency LoggingLevel = "emergency"
)

// severity orders the levels; 0 means unknown.
func (l LoggingLevel) severity() int {
	switch l {
	case LevelDebug:
		return 1
	case LevelInfo:
		return 2
	case LevelNotice:
		return 3
	case LevelWarning:
		return 4
	case LevelError:
		return 5
	case LevelCritical:
		return 6
	case LevelAlert:
		return 7
	case LevelEmergency:
		return 8
	}
	return 0
}

// ClientCapabilities are the features a client declares.
type ClientCapabilities struct {
	// Roots is present when the client can list its roots (roots/list).
	Roots *RootsCapability `json:"roots,omitempty"`
	// Sampling is present when the client can sample an LLM
	// (sampling/createMessage).
	Sampling *SamplingCapability `json:"sampling,omitempty"`
	// Elicitation is present when the client can ask its user for input
	// (elicitation/create, 2025-06-18 and later).
	Elicitation *ElicitationCapability `json:"elicitation,omitempty"`
	// Experimental holds non-standard capabilities, by name.
	Experimental map[string]any `json:"experimental,omitempty"`
	// Extensions holds the MCP extensions the client supports, by extension
	// identifier, each with its settings (2026-07-28).
	Extensions map[string]any `json:"extensions,omitempty"`
	// Tasks is present when the client supports task-augmented requests
	// (2025-11-25 only).
	Tasks map[string]any `json:"tasks,omitempty"`
}

// RootsCapability is present when the client can list its roots.
type RootsCapability struct {
	// ListChanged reports that the client sends
	// notifications/roots/list_changed. The 2026-07-28 revision drops it.
	ListChanged bool `json:"listChanged,omitempty"`
}

// SamplingCapability is present when the client can sample an LLM for the server.
type SamplingCapability struct {
	// Context is present when the client honours
	// CreateMessageParams.IncludeContext values other than "none" (2025-11-25
	// and later).
	Context *struct{} `json:"context,omitempty"`
	// Tools is present when the client lets the model use tools while sampling
	// (2025-11-25 and later).
	Tools *struct{} `json:"tools,omitempty"`
}

// ElicitationCapability is present when the client can ask its user for input.
// An empty object means form mode only.
type ElicitationCapability struct {
	// Form is present when the client supports form mode (2025-11-25 and
	// later).
	Form *struct{} `json:"form,omitempty"`
	// URL is present when the client supports URL mode, sending its user to a
	// URL (2025-11-25 and later).
	URL *struct{} `json:"url,omitempty"`
}

// ServerCapabilities are the features the server declares.
type ServerCapabilities struct {
	// Tools is present when the server offers tools.
	Tools *ToolsCapability `json:"tools,omitempty"`
	// Resources is present when the server offers resources.
	Resources *ResourcesCapability `json:"resources,omitempty"`
	// Prompts is present when the server offers prompts.
	Prompts *PromptsCapability `json:"prompts,omitempty"`
	// Logging is present when the server sends log messages
	// (notifications/message).
	Logging *struct{} `json:"logging,omitempty"`
	// Completions is present when the server completes arguments
	// (completion/complete, 2025-03-26 and later).
	Completions *struct{} `json:"completions,omitempty"`
	// Experimental holds non-standard capabilities, by name.
	Experimental map[string]any `json:"experimental,omitempty"`
	// Extensions holds the MCP extensions the server supports, by extension
	// identifier, each with its settings (2026-07-28).
	Extensions map[string]any `json:"extensions,omitempty"`
}

// ToolsCapability declares tools.
type ToolsCapability struct {
	// ListChanged reports that the server sends
	// notifications/tools/list_changed.
	ListChanged bool `json:"listChanged,omitempty"`
}

// ResourcesCapability declares resources.
type ResourcesCapability struct {
	// Subscribe reports that clients can subscribe to resource updates
	// (resources/subscribe).
	Subscribe bool `json:"subscribe,omitempty"`
	// ListChanged reports that the server sends
	// notifications/resources/list_changed.
	ListChanged bool `json:"listChanged,omitempty"`
}

// PromptsCapability declares prompts.
type PromptsCapability struct {
	// ListChanged reports that the server sends
	// notifications/prompts/list_changed.
	ListChanged bool `json:"listChanged,omitempty"`
}

// InitializeParams are the parameters of the initialize request.
type InitializeParams struct {
	// ProtocolVersion is the latest revision the client supports.
	ProtocolVersion string `json:"protocolVersion"`
	// Capabilities are the features the client declares.
	Capabilities ClientCapabilities `json:"capabilities"`
	// ClientInfo describes the client.
	ClientInfo Implementation `json:"clientInfo"`
	// Meta is the request's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// InitializeResult is the server's answer to initialize.
type InitializeResult struct {
	// ProtocolVersion is the revision the server chose for the session. It may
	// differ from the one the client asked for; a client that cannot use it
	// disconnects.
	ProtocolVersion string `json:"protocolVersion"`
	// Capabilities are the features the server declares.
	Capabilities ServerCapabilities `json:"capabilities"`
	// ServerInfo describes the server.
	ServerInfo Implementation `json:"serverInfo"`
	// Instructions tell the client how to use the server; a client may add them
	// to its model's system prompt.
	Instructions string `json:"instructions,omitempty"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// ToolAnnotations are hints about a tool's behaviour. Clients must not rely on
// them for security decisions.
type ToolAnnotations struct {
	// Title is a human-readable name (older clients read it here; newer ones
	// prefer Tool.Title).
	Title string `json:"title,omitempty"`
	// ReadOnlyHint: the tool does not modify its environment. Default false.
	ReadOnlyHint *bool `json:"readOnlyHint,omitempty"`
	// DestructiveHint: the tool may perform destructive updates. Default true.
	DestructiveHint *bool `json:"destructiveHint,omitempty"`
	// IdempotentHint: repeated calls with the same arguments have no further
	// effect. Default false.
	IdempotentHint *bool `json:"idempotentHint,omitempty"`
	// OpenWorldHint: the tool interacts with external entities. Default true.
	OpenWorldHint *bool `json:"openWorldHint,omitempty"`
}

// Bool returns a pointer to b, for the optional hints of ToolAnnotations.
func Bool(b bool) *bool { return &b }

// Root is a directory or file the client exposes to the server.
type Root struct {
	// URI identifies the root; it starts with file://.
	URI string `json:"uri"`
	// Name is an optional human-readable name for the root.
	Name string `json:"name,omitempty"`
	// Meta is the root's _meta (2025-06-18 and later).
	Meta Meta `json:"_meta,omitempty"`
}

// ListToolsResult is the result of tools/list.
type ListToolsResult struct {
	// Tools is one page of the tools.
	Tools []*Tool `json:"tools"`
	// NextCursor, when not empty, is the cursor to request the next page with.
	NextCursor string `json:"nextCursor,omitempty"`
	cacheable
}

// ListResourcesResult is the result of resources/list.
type ListResourcesResult struct {
	// Resources is one page of the resources.
	Resources []*Resource `json:"resources"`
	// NextCursor, when not empty, is the cursor to request the next page with.
	NextCursor string `json:"nextCursor,omitempty"`
	cacheable
}

// ListResourceTemplatesResult is the result of resources/templates/list.
type ListResourceTemplatesResult struct {
	// ResourceTemplates is one page of the resource templates.
	ResourceTemplates []*ResourceTemplate `json:"resourceTemplates"`
	// NextCursor, when not empty, is the cursor to request the next page with.
	NextCursor string `json:"nextCursor,omitempty"`
	cacheable
}

// ListPromptsResult is the result of prompts/list.
type ListPromptsResult struct {
	// Prompts is one page of the prompts.
	Prompts []*Prompt `json:"prompts"`
	// NextCursor, when not empty, is the cursor to request the next page with.
	NextCursor string `json:"nextCursor,omitempty"`
	cacheable
}

// cacheable carries the members every result has in the 2026-07-28 revision
// (resultType) and those of cacheable results (ttlMs, cacheScope). They stay
// empty, and are omitted, for handshake-era clients.
type cacheable struct {
	ResultType string `json:"resultType,omitempty"`
	TTLMs      *int64 `json:"ttlMs,omitempty"`
	CacheScope string `json:"cacheScope,omitempty"`
	Meta       Meta   `json:"_meta,omitempty"`
}

// ReadResourceResult is the result of resources/read.
type ReadResourceResult struct {
	// Contents are the contents of the resource read; a resource may have
	// several.
	Contents []*ResourceContents `json:"contents"`
	cacheable
}

// CallToolParams are the parameters of tools/call.
type CallToolParams struct {
	// Name is the tool to call.
	Name string `json:"name"`
	// Arguments are the tool's arguments, a JSON object, left undecoded.
	Arguments json.RawMessage `json:"arguments,omitempty"`
	// Meta is the request's _meta; its progressToken asks for progress
	// notifications.
	Meta Meta `json:"_meta,omitempty"`
}

// CallToolResult is the result of a tool call. A tool handler may return one to
// control every member.
type CallToolResult struct {
	// Content is the unstructured result. It is never null on the wire.
	Content []Content `json:"content"`
	// StructuredContent is the structured result, matching the tool's output
	// schema (protocol revision 2025-06-18 and later).
	StructuredContent any `json:"structuredContent,omitempty"`
	// IsError reports a failure the model should see (not a protocol error).
	IsError bool `json:"isError,omitempty"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
	// ResultType is "complete" for 2026-07-28 clients and empty for older ones.
	// FastMCP sets it; a handler's value is ignored.
	ResultType string `json:"resultType,omitempty"`

	// refusal says which of FastMCP's policies answered instead of the
	// tool (see Refusal).
	refusal string
}

// Refusals, as CallToolResult.Refusal names them.
const (
	RefusalTimeout   = "timeout"
	RefusalRateLimit = "rate_limit"
)

// Refusal names the FastMCP policy that answered a tool call with this
// result instead of the tool's own: RefusalTimeout (Tool.Timeout or
// Options.ToolTimeout passed), RefusalRateLimit (Options.RateLimits), or ""
// for a result of the tool. Middleware uses it to tell refusals from the
// tool's own errors.
func (r *CallToolResult) Refusal() string { return r.refusal }

// UnmarshalJSON decodes a CallToolResult, including its polymorphic content.
func (r *CallToolResult) UnmarshalJSON(data []byte) error {
	var w struct {
		Content           []json.RawMessage `json:"content"`
		StructuredContent any               `json:"structuredContent"`
		IsError           bool              `json:"isError"`
		Meta              Meta              `json:"_meta"`
		ResultType        string            `json:"resultType"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	content, err := decodeContents(w.Content)
	if err != nil {
		return err
	}
	*r = CallToolResult{Content: content, StructuredContent: w.StructuredContent, IsError: w.IsError, Meta: w.Meta, ResultType: w.ResultType}
	return nil
}

// GetPromptParams are the parameters of prompts/get.
type GetPromptParams struct {
	// Name is the prompt to get.
	Name string `json:"name"`
	// Arguments are the prompt's arguments, by name.
	Arguments map[string]string `json:"arguments,omitempty"`
	// Meta is the request's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// GetPromptResult is the result of prompts/get.
type GetPromptResult struct {
	// Description is an optional description of the prompt. Left empty by a
	// handler, it is filled with Prompt.Description.
	Description string `json:"description,omitempty"`
	// Messages are the prompt's messages, in order.
	Messages []*PromptMessage `json:"messages"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
	// ResultType is "complete" for 2026-07-28 clients and empty for older ones.
	// FastMCP sets it; a handler's value is ignored.
	ResultType string `json:"resultType,omitempty"`
}

// PromptMessage is one message of a prompt.
type PromptMessage struct {
	// Role is the speaker of the message: RoleUser or RoleAssistant.
	Role Role `json:"role"`
	// Content is the message's content block.
	Content Content `json:"content"`
}

// UnmarshalJSON decodes a PromptMessage with its polymorphic content.
func (m *PromptMessage) UnmarshalJSON(data []byte) error {
	var w struct {
		Role    Role            `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	c, err := decodeContent(w.Content)
	if err != nil {
		return err
	}
	m.Role, m.Content = w.Role, c
	return nil
}

// CompleteParams are the parameters of completion/complete.
type CompleteParams struct {
	// Ref names the prompt or resource template whose argument is completed.
	Ref CompleteReference `json:"ref"`
	// Argument is the argument being completed, with its partial value.
	Argument CompleteArgument `json:"argument"`
	// Context holds the arguments the client has already resolved, when it
	// sends them (2025-06-18 and later).
	Context *CompleteContext `json:"context,omitempty"`
	// Meta is the request's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// CompleteReference names what is being completed: a prompt ("ref/prompt" with
// Name) or a resource template ("ref/resource" with URI).
type CompleteReference struct {
	// Type is "ref/prompt" or "ref/resource".
	Type string `json:"type"`
	// Name is the prompt's name (ref/prompt).
	Name string `json:"name,omitempty"`
	// URI is the resource template's URI template (ref/resource).
	URI string `json:"uri,omitempty"`
}

// Reference types of CompleteReference.
const (
	RefPrompt   = "ref/prompt"
	RefResource = "ref/resource"
)

// PromptRef returns a reference to the prompt name, for completion.
func PromptRef(name string) CompleteReference { return CompleteReference{Type: RefPrompt, Name: name} }

// ResourceRef returns a reference to the resource template uriTemplate, for
// completion.
func ResourceRef(uriTemplate string) CompleteReference {
	return CompleteReference{Type: RefResource, URI: uriTemplate}
}

// CompleteArgument is the argument being completed and its partial value.
type CompleteArgument struct {
	// Name is the prompt argument or template variable being completed.
	Name string `json:"name"`
	// Value is what the user has entered so far.
	Value string `json:"value"`
}

// CompleteContext holds arguments the client has already resolved.
type CompleteContext struct {
	// Arguments are the values of the other arguments, by name.
	Arguments map[string]string `json:"arguments,omitempty"`
}

// CompleteResult is the result of completion/complete.
type CompleteResult struct {
	// Completion holds the suggested values.
	Completion Completion `json:"completion"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
	// ResultType is "complete" for 2026-07-28 clients and empty for older ones.
	// FastMCP sets it.
	ResultType string `json:"resultType,omitempty"`
}

// Completion lists suggested values: at most 100, with HasMore and Total when
// there were more.
type Completion struct {
	// Values are the suggested values, at most MaxCompletionValues.
	Values []string `json:"values"`
	// Total is the number of values available, which can exceed len(Values); 0
	// when not sent.
	Total int `json:"total,omitempty"`
	// HasMore reports that there were more values than Values holds.
	HasMore bool `json:"hasMore,omitempty"`
}

// ProgressParams are the parameters of notifications/progress.
type ProgressParams struct {
	// ProgressToken is the token the client gave in the request's _meta: it
	// ties the notification to that request.
	ProgressToken json.RawMessage `json:"progressToken"`
	// Progress is the progress so far; it increases with each notification.
	Progress float64 `json:"progress"`
	// Total is the total progress, when known (0 = unknown).
	Total float64 `json:"total,omitempty"`
	// Message describes the current step (2025-03-26 and later).
	Message string `json:"message,omitempty"`
}

// LoggingMessageParams are the parameters of notifications/message.
type LoggingMessageParams struct {
	// Level is the message's severity.
	Level LoggingLevel `json:"level"`
	// Logger optionally names the logger that issued the message.
	Logger string `json:"logger,omitempty"`
	// Data is the message: a string or any value that encodes as JSON.
	Data any `json:"data"`
}

// emptyResult is the JSON of an empty result, as ping and setLevel return.
var emptyResult = json.RawMessage(`{}`)
