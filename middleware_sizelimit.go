package fastmcp

import (
	"encoding/json"
	"fmt"
)

// ResponseSizeLimitOptions configure ResponseSizeLimit. The zero value is
// usable.
type ResponseSizeLimitOptions struct {
	// MaxBytes bounds the encoded result object of a response (what the
	// JSON-RPC "result" member holds). Default DefaultMaxResponseBytes.
	MaxBytes int
	// Methods are the methods whose results are bounded. Default: every
	// method.
	Methods []string
}

// DefaultMaxResponseBytes is the default of
// ResponseSizeLimitOptions.MaxBytes: 1 MiB.
const DefaultMaxResponseBytes = 1 << 20

// ResponseSizeLimit returns middleware that refuses to send a result larger
// than a limit, answering with a clear error instead: for tools/call, a result
// with isError telling the model how large the result was and what the limit
// is, so it can ask for less; for other methods, an internal error
// (CodeInternalError) saying the same, with {"size", "limit"} as data. Add it
// with Server.Use.
//
// The result is measured as the client would receive it, shaped for its
// protocol revision, which costs one encoding of the result besides the one
// that sends it (none for lists, already encoded). Messages a handler sends
// before its result (progress, logs, streamed content) are not counted. It
// costs nothing when not installed.
func ResponseSizeLimit(opts ResponseSizeLimitOptions) Middleware {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	var methods map[string]bool
	if opts.Methods != nil {
		methods = make(map[string]bool, len(opts.Methods))
		for _, m := range opts.Methods {
			methods[m] = true
		}
	}
	return func(next MethodHandler) MethodHandler {
		return func(c *Context, req *Request) (any, error) {
			res, err := next(c, req)
			if err != nil || res == nil || methods != nil && !methods[req.Method] {
				return res, err
			}
			size, ok := resultSize(res, c.req.version)
			if !ok || size <= limit {
				return res, err
			}
			c.srv.logger.WarnContext(c, "fastmcp: result too large", "method", req.Method, "name", req.Name, "size", size, "limit", limit)
			if req.Method == "tools/call" {
				return errorResult(fmt.Sprintf("The result of tool %q is too large: %d bytes, and this server sends at most %d. Ask for less, such as a narrower query or a smaller page.", req.Name, size, limit)), nil
			}
			what := req.Method
			if req.Name != "" {
				what += " " + req.Name
			}
			return nil, &Error{Code: CodeInternalError,
				Message: fmt.Sprintf("The result of %s is too large: %d bytes, and this server sends at most %d.", what, size, limit),
				Data:    map[string]int{"size": size, "limit": limit}}
		}
	}
}

// resultSize returns the size of a result encoded for revision v, and false
// when it cannot be encoded (the engine then reports that).
func resultSize(res any, v protocolVersion) (int, bool) {
	if raw, ok := res.(json.RawMessage); ok {
		return len(raw), true
	}
	b := getBuf()
	out, err := appendResultValue((*b)[:0], res, v)
	n := len(out)
	*b = out
	putBuf(b)
	return n, err == nil
}
