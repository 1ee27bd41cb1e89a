// Package jsonrpc frames JSON-RPC 2.0 messages for the FastMCP engine.
//
// It decodes a message once into the shape the dispatcher needs (method and id
// first, params kept as raw bytes) and appends encoded messages to caller-owned
// buffers, so the hot path allocates little. It knows nothing about MCP.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Standard JSON-RPC 2.0 error codes.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// Message is one decoded JSON-RPC message: a request (Method and ID set), a
// notification (Method set, ID nil), or a response (ID set, Result or Error set).
// ID, Params and Result hold raw JSON, so ids are echoed exactly as received.
type Message struct {
	ID     json.RawMessage
	Method string
	Params json.RawMessage
	Result json.RawMessage
	Error  *WireError
}

// WireError is the error member of a JSON-RPC response.
type WireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// IsRequest reports whether m is a request (it has a method and an id).
func (m *Message) IsRequest() bool { return m.Method != "" && m.ID != nil }

// IsNotification reports whether m is a notification (a method, no id).
func (m *Message) IsNotification() bool { return m.Method != "" && m.ID == nil }

// IsResponse reports whether m is a response to a request (no method).
func (m *Message) IsResponse() bool { return m.Method == "" }

// ErrParse is returned by Decode when the input is not valid JSON. Errors that
// are not ErrParse describe a well-formed JSON value that is not a valid
// JSON-RPC message (an Invalid Request).
var ErrParse = errors.New("jsonrpc: parse error")

// InvalidError describes a JSON value that is not a valid JSON-RPC 2.0 message.
// ID is the id of the offending message when one could be read.
type InvalidError struct {
	ID     json.RawMessage
	Reason string
}

func (e *InvalidError) Error() string { return "jsonrpc: invalid request: " + e.Reason }

// IsBatch reports whether data holds a JSON array (a batch), skipping leading
// whitespace.
func IsBatch(data []byte) bool {
	i := skipSpace(data, 0)
	return i < len(data) && data[i] == '['
}

// methods are the method names the engine knows; decoding returns these
// constants instead of allocating a string per message.
var methods = map[string]string{}

func init() {
	for _, m := range []string{"initialize", "ping", "tools/list", "tools/call", "resources/list",
		"resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe",
		"prompts/list", "prompts/get", "completion/complete", "logging/setLevel", "server/discover",
		"subscriptions/listen", "notifications/initialized", "notifications/cancelled",
		"notifications/progress", "notifications/roots/list_changed", "sampling/createMessage",
		"elicitation/create", "roots/list"} {
		methods[m] = m
	}
}

// Decode parses one JSON-RPC message. It returns ErrParse for malformed JSON and
// an *InvalidError for JSON that is not a valid message. The raw members of m
// (ID, Params, Result) are sub-slices of data: data must stay unchanged while m
// is in use.
func Decode(data []byte, m *Message) error {
	var (
		version                  []byte
		id, params, result, errv json.RawMessage
		method                   []byte
		hasMethod, hasVersion    bool
	)
	err := ObjectEach(data, func(key string, v []byte) error {
		switch key {
		case "jsonrpc":
			version, hasVersion = v, true
		case "id":
			id = v
		case "method":
			method, hasMethod = v, true
		case "params":
			params = v
		case "result":
			result = v
		case "error":
			errv = v
		}
		return nil
	})
	if err == ErrNotObject {
		return &InvalidError{Reason: "a message must be a JSON object"}
	}
	if err != nil {
		return ErrParse
	}
	if id != nil && !validIDBytes(id) {
		return &InvalidError{Reason: "id must be a string or a number"}
	}
	if id != nil && id[0] == '"' && !utf8.Valid(id) {
		// Responses echo the id as it came: one that is not valid UTF-8
		// would make them invalid JSON, so it is refused and not echoed.
		return &InvalidError{Reason: "id must be valid UTF-8"}
	}
	if !hasVersion || string(version) != `"2.0"` {
		return &InvalidError{ID: id, Reason: `"jsonrpc" must be "2.0"`}
	}
	if isNull(params) {
		params = nil
	}
	if params != nil && params[0] != '{' && params[0] != '[' {
		return &InvalidError{ID: id, Reason: "params must be an object or an array"}
	}
	*m = Message{ID: id, Params: params, Result: result}
	if hasMethod {
		var name string
		if len(method) > 2 && method[0] == '"' {
			name = methods[string(method[1:len(method)-1])] // no allocation for known methods
		}
		if name == "" {
			var ok bool
			name, ok = UnquoteString(method)
			if !ok || name == "" {
				return &InvalidError{ID: id, Reason: "method must be a non-empty string"}
			}
		}
		m.Method = name
		if result != nil || errv != nil {
			return &InvalidError{ID: id, Reason: "a request must not carry result or error"}
		}
		return nil
	}
	switch {
	case id == nil:
		return &InvalidError{Reason: "message has neither method nor id"}
	case result == nil && errv == nil:
		return &InvalidError{ID: id, Reason: "response has neither result nor error"}
	case result != nil && errv != nil:
		return &InvalidError{ID: id, Reason: "response has both result and error"}
	}
	if errv != nil {
		var we WireError
		if err := json.Unmarshal(errv, &we); err != nil {
			return &InvalidError{ID: id, Reason: "malformed error member: " + err.Error()}
		}
		m.Error = &we
	}
	return nil
}

// SplitBatch splits a JSON array into its raw elements. It returns ErrParse for
// malformed JSON.
func SplitBatch(data []byte) ([]json.RawMessage, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil, ErrParse
	}
	return elems, nil
}

func isNull(b json.RawMessage) bool { return len(b) == 4 && string(b) == "null" }

func validID(b json.RawMessage) json.RawMessage {
	if b != nil && validIDBytes(b) {
		return b
	}
	return nil
}

// validIDBytes reports whether raw is a JSON string or number.
func validIDBytes(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	c := raw[0]
	return c == '"' || c == '-' || (c >= '0' && c <= '9')
}

// AppendResult appends a success response with the given raw result.
func AppendResult(b []byte, id, result json.RawMessage) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}

// AppendError appends an error response. A nil id is omitted (the error could
// not be tied to a request). data, when non-nil, must be valid JSON.
func AppendError(b []byte, id json.RawMessage, code int64, message string, data json.RawMessage) []byte {
	b = append(b, `{"jsonrpc":"2.0",`...)
	if id != nil {
		b = append(b, `"id":`...)
		b = append(b, id...)
		b = append(b, ',')
	}
	b = append(b, `"error":{"code":`...)
	b = strconv.AppendInt(b, code, 10)
	b = append(b, `,"message":`...)
	b = AppendString(b, message)
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, "}}"...)
}

// AppendNotification appends a notification. params, when non-nil, must be a
// JSON object.
func AppendNotification(b []byte, method string, params json.RawMessage) []byte {
	b = append(b, `{"jsonrpc":"2.0","method":`...)
	b = AppendString(b, method)
	if params != nil {
		b = append(b, `,"params":`...)
		b = append(b, params...)
	}
	return append(b, '}')
}

// AppendRequest appends a request with the given raw id.
func AppendRequest(b []byte, id json.RawMessage, method string, params json.RawMessage) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"method":`...)
	b = AppendString(b, method)
	if params != nil {
		b = append(b, `,"params":`...)
		b = append(b, params...)
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping as encoding/json does
// (including <, > and & and invalid UTF-8, which becomes U+FFFD).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// CompactID returns a canonical form of a raw id for use as a map key, so that
// `"a"` and `1` stay distinct while insignificant whitespace does not matter.
func CompactID(id json.RawMessage) string {
	if bytes.IndexAny(id, " \t\r\n") < 0 {
		return string(id)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, id); err != nil {
		return string(id)
	}
	return buf.String()
}
