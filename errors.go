package fastmcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// ErrorCode is a JSON-RPC error code.
type ErrorCode int64

// JSON-RPC and MCP error codes.
const (
	CodeParseError     ErrorCode = jsonrpc.CodeParseError
	CodeInvalidRequest ErrorCode = jsonrpc.CodeInvalidRequest
	CodeMethodNotFound ErrorCode = jsonrpc.CodeMethodNotFound
	CodeInvalidParams  ErrorCode = jsonrpc.CodeInvalidParams
	CodeInternalError  ErrorCode = jsonrpc.CodeInternalError

	// CodeResourceNotFound is the handshake era's code for reading an unknown
	// resource. The 2026-07-28 revision uses CodeInvalidParams instead.
	CodeResourceNotFound ErrorCode = -32002
	// CodeSessionNotFound answers a request for an unknown or expired session
	// (Streamable HTTP, with status 404).
	CodeSessionNotFound ErrorCode = -32001
	// CodeURLElicitationRequired tells the client to complete a URL elicitation
	// first (2025-11-25).
	CodeURLElicitationRequired ErrorCode = -32042
	// CodeHeaderMismatch: an Mcp-Method or Mcp-Name header disagrees with the
	// body (2026-07-28).
	CodeHeaderMismatch ErrorCode = -32020
	// CodeMissingRequiredClientCapability: the request needs a capability the
	// client did not declare (2026-07-28).
	CodeMissingRequiredClientCapability ErrorCode = -32021
	// CodeUnsupportedProtocolVersion: the request's protocol version is not
	// served (2026-07-28).
	CodeUnsupportedProtocolVersion ErrorCode = -32022
)

// Error is a JSON-RPC error. Returned from any handler, it is sent to the client
// as the error response of the request, unchanged: a tool handler can use it
// to raise a protocol error (such as CodeURLElicitationRequired) instead of a
// tool result with isError.
type Error struct {
	// Code is the JSON-RPC error code.
	Code ErrorCode
	// Message is a short description of the error, sent as is.
	Message string
	// Data is optional; it is encoded as JSON.
	Data any

	// cause is what errors.Is and errors.As see beyond the Error, such as
	// ErrCapability for a missing client capability.
	cause error
}

// Unwrap returns the sentinel the error stands for, if any: ErrCapability
// for CodeMissingRequiredClientCapability errors FastMCP raises.
func (e *Error) Unwrap() error { return e.cause }

// NewError returns an *Error with the code and a formatted message.
func NewError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error returns the message and code, prefixed with "fastmcp: ".
func (e *Error) Error() string {
	return "fastmcp: " + e.Message + " (code " + strconv.FormatInt(int64(e.Code), 10) + ")"
}

// ErrorCodeOf returns the code of the first *Error in err's chain, or 0.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// UserError is an error meant for the person or model using a tool: its message
// is shown as is. From a tool it becomes a result with isError and the message
// as text (and Data, when set, as structured content); from a resource, prompt
// or completion handler it becomes a JSON-RPC error with the message. Any other
// error is masked as a generic message unless Options.ShowErrorDetails is set.
type UserError struct {
	// Message is shown to the user or model as is.
	Message string
	// Data is optional structured detail; for a tool it becomes the result's
	// structuredContent and must encode as a JSON object.
	Data any
}

// Error returns Message.
func (e *UserError) Error() string { return e.Message }

// NewUserError returns a *UserError with the message.
func NewUserError(message string) *UserError { return &UserError{Message: message} }

// UserErrorf returns a *UserError with a message formatted as with fmt.Sprintf.
func UserErrorf(format string, args ...any) *UserError {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// Sentinel errors.
var (
	// ErrNoSession is returned by operations that need a session when the
	// request is served without one (stateless HTTP, the 2026-07-28 revision).
	ErrNoSession = errors.New("fastmcp: no session: this request is served statelessly, so it has no session to use")
	// ErrSessionClosed is returned by operations on a session that has ended.
	ErrSessionClosed = errors.New("fastmcp: session closed")
	// ErrProgressNotIncreasing is returned by Context.ReportProgress when the
	// progress value does not increase, as the protocol requires.
	ErrProgressNotIncreasing = errors.New("fastmcp: progress must increase with each notification")
	// ErrCapability is wrapped by errors of operations the client did not
	// declare a capability for.
	ErrCapability = errors.New("fastmcp: client capability missing")
)

// wireError converts any error into the JSON-RPC error sent to the client.
// Internal errors are masked unless showDetails.
func wireError(err error, showDetails bool) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return &Error{Code: CodeInternalError, Message: ue.Message, Data: ue.Data}
	}
	if errors.Is(err, ErrCapability) {
		// The client's own doing, and nothing secret: say what it lacks.
		return &Error{Code: CodeInvalidRequest, Message: err.Error()}
	}
	if showDetails {
		return &Error{Code: CodeInternalError, Message: err.Error()}
	}
	return &Error{Code: CodeInternalError, Message: "Internal error"}
}

// appendWireError appends the JSON-RPC error response for e.
func appendWireError(b []byte, id json.RawMessage, e *Error) []byte {
	var data json.RawMessage
	if e.Data != nil {
		if raw, ok := e.Data.(json.RawMessage); ok {
			data = raw
		} else if d, err := json.Marshal(e.Data); err == nil {
			data = d
		}
	}
	return jsonrpc.AppendError(b, id, int64(e.Code), e.Message, data)
}
