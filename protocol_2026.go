package fastmcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The 2026-07-28 revision.
//
// Era selection. A FastMCP server serves both protocol eras on every
// transport, choosing per request:
//
//   - A request whose params._meta carries io.modelcontextprotocol/protocolVersion
//     (over HTTP: or whose MCP-Protocol-Version header names 2026-07-28) is
//     served statelessly under the 2026-07-28 revision: it has no Session, its
//     protocol version, client capabilities, client info and log level come
//     from its own _meta, and its results carry resultType and
//     io.modelcontextprotocol/serverInfo.
//   - initialize starts a handshake-era session, as in 2024-11-05 through
//     2025-11-25; requests of that session are served as before.
//   - server/discover answers both: a 2026-07-28 client probing the server,
//     and a handshake-era session asking what the server speaks.
//
// In a 2026-07-28 request, Context.Sample, Context.Elicit and Context.Roots
// use multi round-trip requests (see ErrInputRequired), Context.Session and
// Context.State are nil (use handles for cross-call state: Context.NewHandle),
// log messages go out only when the request's _meta asked for them
// (io.modelcontextprotocol/logLevel), and change notifications are delivered
// to subscriptions/listen streams.

// Reserved _meta keys of the 2026-07-28 revision.
const (
	metaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	metaClientInfo         = "io.modelcontextprotocol/clientInfo"
	metaLogLevel           = "io.modelcontextprotocol/logLevel"
	metaServerInfo         = "io.modelcontextprotocol/serverInfo"
	metaSubscriptionID     = "io.modelcontextprotocol/subscriptionId"
)

// ModernProtocolVersions returns the revisions FastMCP serves without a
// handshake, with per-request _meta, newest first.
func ModernProtocolVersions() []string { return []string{ProtocolVersion20260728} }

// SupportedProtocolVersions returns every revision FastMCP serves, newest
// first: the modern ones, then those negotiated through initialize. It is the
// supportedVersions of server/discover and the supported list of an
// unsupported-version error.
func SupportedProtocolVersions() []string {
	return append(ModernProtocolVersions(), HandshakeProtocolVersions()...)
}

// metaVersion finds params._meta["io.modelcontextprotocol/protocolVersion"]
// without decoding the params: it reports the raw JSON value and whether the
// key is present. It is how a request is recognised as a 2026-07-28 one.
func metaVersion(params []byte) (raw []byte, found bool) {
	if !bytes.Contains(params, []byte(metaProtocolVersion)) {
		return nil, false // the common handshake-era case, found fast
	}
	meta := metaOf(params)
	if meta == nil {
		return nil, false
	}
	jsonrpc.ObjectEachRaw(meta, func(key []byte, escaped bool, value []byte) error {
		if !escaped && string(key) == metaProtocolVersion {
			raw, found = value, true
		}
		return nil
	})
	return raw, found
}

// metaOf returns the raw _meta object of params, or nil.
func metaOf(params []byte) []byte {
	if len(params) == 0 || params[0] != '{' || !bytes.Contains(params, []byte(`"_meta"`)) {
		return nil
	}
	var meta []byte
	jsonrpc.ObjectEachRaw(params, func(key []byte, escaped bool, value []byte) error {
		if !escaped && string(key) == "_meta" && len(value) > 0 && value[0] == '{' {
			meta = value
		}
		return nil
	})
	return meta
}

// protocol2026 is the sessionless 2026-07-28 revision (see protocol).
type protocol2026 struct{}

// era2026 is the 2026-07-28 revision's protocol.
var era2026 protocol = protocol2026{}

// prepare reads the per-request protocol fields of a 2026-07-28 request from
// its _meta and checks them, in the revision's order: the required fields are
// present and well formed (else -32602), the transport's view agrees with
// the body (over HTTP, the request metadata headers: else -32020), the
// version is one FastMCP serves without a handshake (else -32022). Then the
// multi round-trip state of a request that may ask for input, and the
// members that name the request's item.
func (protocol2026) prepare(s *Server, c conn, r *request) {
	if r.prepErr != nil {
		return
	}
	r.version = v20260728
	merr, verr := r.readModernMeta()
	if merr != nil {
		r.prepErr = merr
		return
	}
	if herr := c.validate(r); herr != nil {
		r.prepErr = herr
		return
	}
	if verr != nil {
		r.prepErr = verr
		return
	}
	if mrtrMethods[r.Method] {
		if err := s.readInput(&r.ctx); err != nil {
			r.prepErr = err
			return
		}
	}
	if err := readParams(r); err != nil {
		r.prepErr = err
	}
}

// readModernMeta reads the request's _meta. It returns the refusal of a
// malformed _meta, and separately that of an unsupported version, which is
// checked after the transport's headers.
func (r *request) readModernMeta() (metaErr, versionErr *Error) {
	invalid := func(format string, args ...any) *Error {
		r.metaInvalid = true
		return NewError(CodeInvalidParams, format, args...)
	}
	if len(r.Params) > 0 && r.Params[0] != '{' && string(r.Params) != "null" {
		return invalid("Invalid params: params must be an object"), nil
	}
	pm := r.members()
	if pm.err != nil {
		r.metaInvalid = true
		return pm.err, nil
	}
	meta := pm.meta
	if len(meta) == 0 || meta[0] != '{' {
		return invalid("Invalid params: missing _meta; a %s request carries %s and %s in params._meta", ProtocolVersion20260728, metaProtocolVersion, metaClientCapabilities), nil
	}
	var version, caps, info, level, progress, reqID []byte
	err := jsonrpc.ObjectEachRaw(meta, func(key []byte, escaped bool, value []byte) error {
		if escaped {
			return nil
		}
		switch string(key) {
		case metaProtocolVersion:
			version = value
		case metaClientCapabilities:
			caps = value
		case metaClientInfo:
			info = value
		case metaLogLevel:
			level = value
		case "progressToken":
			progress = value
		case "requestId":
			reqID = value
		}
		return nil
	})
	if err != nil {
		return invalid("Invalid params: malformed _meta"), nil
	}
	if version == nil {
		return invalid("Invalid params: _meta is missing the required %s", metaProtocolVersion), nil
	}
	v := ProtocolVersion20260728
	if string(version) != `"`+ProtocolVersion20260728+`"` {
		var ok bool
		if v, ok = jsonrpc.UnquoteString(version); !ok {
			return invalid("Invalid params: %s must be a string", metaProtocolVersion), nil
		}
	}
	r.requested = v
	if caps == nil {
		return invalid("Invalid params: _meta is missing the required %s", metaClientCapabilities), nil
	}
	if len(caps) == 0 || caps[0] != '{' {
		return invalid("Invalid params: %s must be an object", metaClientCapabilities), nil
	}
	if string(caps) != "{}" {
		if err := json.Unmarshal(caps, &r.clientCaps); err != nil {
			return invalid("Invalid params: %s: %v", metaClientCapabilities, err), nil
		}
	}
	if info != nil && string(info) != "null" {
		if info[0] != '{' {
			return invalid("Invalid params: %s must be an object", metaClientInfo), nil
		}
		r.infoRaw = info // decoded when a handler asks (Context.ClientInfo)
	}
	if level != nil {
		l, ok := jsonrpc.UnquoteString(level)
		if !ok || LoggingLevel(l).severity() == 0 {
			return invalid("Invalid params: %s must be one of debug, info, notice, warning, error, critical, alert, emergency", metaLogLevel), nil
		}
		r.logLevel, r.logRequested = LoggingLevel(l), true
	}
	r.meta = meta
	if err := r.readMetaFields(progress, reqID); err != nil {
		r.metaInvalid = true
		return err.(*Error), nil
	}
	if parseProtocolVersion(v) != v20260728 {
		return nil, unsupportedVersion(v)
	}
	return nil, nil
}

// unsupportedVersion is the UnsupportedProtocolVersionError for a request
// that asks for revision requested.
func unsupportedVersion(requested string) *Error {
	msg := "Unsupported protocol version"
	if pv := parseProtocolVersion(requested); pv != vUnknown && pv < v20260728 {
		msg += ": " + requested + " is served only through the initialize handshake"
	}
	return &Error{Code: CodeUnsupportedProtocolVersion, Message: msg, Data: map[string]any{
		"supported": SupportedProtocolVersions(),
		"requested": requested,
	}}
}

// removedMethods are the handshake-era methods the 2026-07-28 revision
// removed: a modern request for one is a method not found.
var removedMethods = map[string]bool{
	"initialize":            true,
	"ping":                  true,
	"logging/setLevel":      true,
	"resources/subscribe":   true,
	"resources/unsubscribe": true,
}

func (protocol2026) handler(s *Server, c *Context) (MethodHandler, error) {
	m := c.req.Method
	if removedMethods[m] {
		return nil, NewError(CodeMethodNotFound, "Method not found: %s (the %s revision removed it)", m, ProtocolVersion20260728)
	}
	if h := s.methods.modern[m]; h != nil {
		return h, nil
	}
	return nil, NewError(CodeMethodNotFound, "Method not found: %s", m)
}

// ask asks through the request's input_required answer (see
// protocol_2026_mrtr.go).
func (protocol2026) ask(c *Context, reqs []InputRequest) ([]InputResponse, error) {
	return c.askModern(reqs)
}

// logEnabled: log messages go out only when the request's _meta asked for
// them, at its level.
func (protocol2026) logEnabled(c *Context, level LoggingLevel) bool {
	return c.req.logRequested && level.severity() >= c.req.logLevel.severity()
}

// answerFor classifies a 2026-07-28 error response: 404 for a method the
// server does not implement, 400 for malformed request metadata and the
// revision's protocol errors, else 200.
func (protocol2026) answerFor(code ErrorCode, r *request) answer {
	switch code {
	case CodeMethodNotFound:
		return notFound
	case CodeHeaderMismatch, CodeMissingRequiredClientCapability, CodeUnsupportedProtocolVersion:
		return badRequest
	case CodeInvalidParams:
		if r.metaInvalid {
			return badRequest
		}
	}
	return answered
}

// discoverModern answers server/discover.
func (s *Server) discoverModern(*Context, *Request) (any, error) { return s.discoverResult(), nil }

// discover is the encoded server/discover result, built once.
type discover struct {
	once sync.Once
	raw  json.RawMessage
}

// discoverResult returns the server/discover result: the revisions served,
// the capabilities and instructions, the server's identity in _meta, and the
// server's caching hint for it (public: it does not depend on the caller).
func (s *Server) discoverResult() json.RawMessage {
	s.disc.once.Do(func() {
		hint := s.opts.Cache
		ttl := hint.ttlMs()
		raw, err := json.Marshal(struct {
			ResultType        string             `json:"resultType"`
			SupportedVersions []string           `json:"supportedVersions"`
			Capabilities      ServerCapabilities `json:"capabilities"`
			Instructions      string             `json:"instructions,omitempty"`
			TTLMs             int64              `json:"ttlMs"`
			CacheScope        CacheScope         `json:"cacheScope"`
			Meta              map[string]any     `json:"_meta"`
		}{
			ResultType:        "complete",
			SupportedVersions: SupportedProtocolVersions(),
			Capabilities:      s.capabilities(v20260728),
			Instructions:      s.opts.Instructions,
			TTLMs:             ttl,
			CacheScope:        CachePublic,
			Meta:              map[string]any{metaServerInfo: s.serverInfoFor(v20260728)},
		})
		if err != nil {
			panic(fmt.Sprintf("fastmcp: encoding the server/discover result: %v", err))
		}
		s.disc.raw = raw
	})
	return s.disc.raw
}

// serverInfoMeta is the encoded io.modelcontextprotocol/serverInfo member.
func (s *Server) serverInfoMeta() []byte {
	s.infoOnce.Do(func() {
		raw, err := json.Marshal(s.serverInfoFor(v20260728))
		if err != nil {
			panic(fmt.Sprintf("fastmcp: encoding serverInfo: %v", err))
		}
		s.infoMeta = append(jsonrpc.AppendString(nil, metaServerInfo), ':')
		s.infoMeta = append(s.infoMeta, raw...)
	})
	return s.infoMeta
}

// cacheableMethods are the methods whose complete results carry caching
// hints (ttlMs and cacheScope) in the 2026-07-28 revision.
var cacheableMethods = map[string]bool{
	"server/discover":          true,
	"tools/list":               true,
	"prompts/list":             true,
	"resources/list":           true,
	"resources/templates/list": true,
	"resources/read":           true,
}

// finishModern completes the result object that b holds from start on, for a
// 2026-07-28 request: it adds resultType "complete" unless the result has a
// resultType, the server's identity to _meta (merged into a _meta the result
// already has), and for a cacheable method ttlMs and cacheScope. A result that
// is not an object is left as it is.
func (protocol2026) finish(s *Server, b []byte, start int, r *request) []byte {
	res := b[start:]
	if len(res) < 2 || res[0] != '{' || res[len(res)-1] != '}' {
		return b
	}
	var hasType, hasTTL, hasScope bool
	var meta []byte
	jsonrpc.ObjectEachRaw(res, func(key []byte, escaped bool, value []byte) error {
		switch string(key) {
		case "resultType":
			hasType = true
		case "ttlMs":
			hasTTL = true
		case "cacheScope":
			hasScope = true
		case "_meta":
			meta = value
		}
		return nil
	})
	info := s.serverInfoMeta()
	empty := len(bytes.TrimSpace(res[1:len(res)-1])) == 0
	if meta == nil {
		// The common case, in place: members are added before the
		// closing brace.
		b = b[:len(b)-1]
		if !empty {
			b = append(b, ',')
		}
		b = append(b, `"_meta":{`...)
		b = append(b, info...)
		b = append(b, '}')
	} else {
		// Splice the server's identity into the handler's _meta, unless
		// it set one itself.
		orig := bytes.Clone(res)
		i := cap(res) - cap(meta) // meta is a subslice of res: its offset
		meta = orig[i : i+len(meta)]
		b = append(b[:start], orig[:i]...)
		if hasKey(meta, metaServerInfo) || meta[0] != '{' {
			b = append(b, meta...)
		} else {
			b = append(b, '{')
			b = append(b, info...)
			if len(bytes.TrimSpace(meta[1:len(meta)-1])) > 0 {
				b = append(b, ',')
			}
			b = append(b, meta[1:]...)
		}
		b = append(b, orig[i+len(meta):len(orig)-1]...)
	}
	if !hasType {
		b = append(b, `,"resultType":"complete"`...)
	}
	if cacheableMethods[r.Method] && !r.noCache {
		hint := r.cache
		if !hint.set {
			hint = cacheHint{ttl: s.opts.Cache.ttlMs(), scope: CachePublic, set: true}
		}
		if !hasTTL {
			b = append(b, `,"ttlMs":`...)
			b = strconv.AppendInt(b, hint.ttl, 10)
		}
		if !hasScope {
			b = append(b, `,"cacheScope":`...)
			b = jsonrpc.AppendString(b, string(hint.scope))
		}
	}
	return append(b, '}')
}

// hasKey reports whether the JSON object obj has key.
func hasKey(obj []byte, key string) bool {
	found := false
	jsonrpc.ObjectEachRaw(obj, func(k []byte, _ bool, _ []byte) error {
		if string(k) == key {
			found = true
		}
		return nil
	})
	return found
}

// missingCapability is the MissingRequiredClientCapabilityError (-32021) for
// a request that needs a client capability the request did not declare:
// required is a ClientCapabilities object naming what is missing, such as
// {"sampling": {}}. It matches ErrCapability.
func missingCapability(feature, what string, required map[string]any) *Error {
	return &Error{
		Code:    CodeMissingRequiredClientCapability,
		Message: fmt.Sprintf("Missing required client capability: %s needs the client to declare %s in %s", feature, what, metaClientCapabilities),
		Data:    map[string]any{"requiredCapabilities": required},
		cause:   ErrCapability,
	}
}
