package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fastmcp-go/fastmcp"
)

// callTool runs a tool call: arguments to request, answer to result. Problems
// the model can act on (bad arguments, an error status, a timeout) are
// results with isError; an error of Options.Authorize is returned, for the
// server to mask or show (a *fastmcp.UserError).
func (op *operation) callTool(ctx *fastmcp.Context, raw json.RawMessage) (*fastmcp.CallToolResult, error) {
	return op.call(ctx, raw)
}

// call is callTool for any context (tests run it without an MCP request).
func (op *operation) call(ctx context.Context, raw json.RawMessage) (*fastmcp.CallToolResult, error) {
	var args map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &args); err != nil {
			return errorResult("Invalid arguments: " + err.Error()), nil
		}
	}
	a, err := op.do(ctx, args)
	if err != nil {
		var ae *argError
		var ee *exchangeError
		switch {
		case errors.As(err, &ae):
			return errorResult("Invalid arguments: " + ae.msg), nil
		case errors.As(err, &ee):
			return errorResult(ee.msg), nil
		}
		return nil, err
	}
	if a.status/100 != 2 {
		return errorResult(op.errorText(a)), nil
	}
	return op.successResult(a), nil
}

func errorResult(msg string) *fastmcp.CallToolResult {
	return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(msg)}, IsError: true}
}

// errorText describes an answer with an error status: the status, and the
// start of its body when it is text.
func (op *operation) errorText(a *answer) string {
	msg := fmt.Sprintf("The API answered %s %s: HTTP %s", op.method, op.path, a.statusText)
	if len(a.body) == 0 {
		return msg
	}
	if !isText(a.contentType, a.body) {
		return msg + fmt.Sprintf(" (%s body not shown)", describeType(a.contentType))
	}
	excerpt, cut := cutUTF8(a.body, op.rt.maxErr)
	msg += "\n\n" + string(excerpt)
	if cut || a.truncated {
		msg += "\n[… error body truncated]"
	}
	return msg
}

// successResult turns a 2xx answer into a result: a JSON object becomes
// structured content and its text, other text its text, an image or audio
// body that content, anything else a note of its size and type.
func (op *operation) successResult(a *answer) *fastmcp.CallToolResult {
	if len(bytes.TrimSpace(a.body)) == 0 {
		return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(fmt.Sprintf("HTTP %s (empty body)", a.statusText))}}
	}
	ct := mediaType(a.contentType)
	if a.contentType == "" {
		ct = op.responseType
	}
	if !a.truncated && isJSON(ct) {
		if v, err := decodeValue(a.body); err == nil {
			res := &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(string(a.body))}}
			if obj, ok := v.(map[string]any); ok {
				res.StructuredContent = obj
			}
			return res
		}
	}
	if !a.truncated {
		switch {
		case strings.HasPrefix(ct, "image/") && ct != "image/svg+xml":
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Image(a.body, ct)}}
		case strings.HasPrefix(ct, "audio/"):
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Audio(a.body, ct)}}
		}
	}
	if !isText(a.contentType, a.body) {
		return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(fmt.Sprintf("HTTP %s: %s body of %s, not shown", a.statusText, describeType(a.contentType), sizeText(a)))}}
	}
	return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text(op.bodyText(a))}}
}

// bodyText is a text body, with a closing line saying when it was cut.
func (op *operation) bodyText(a *answer) string {
	body, _ := cutUTF8(a.body, len(a.body))
	s := string(body)
	if a.truncated {
		s += fmt.Sprintf("\n\n[response truncated: showing the first %d bytes of %s]", len(body), sizeText(a))
	}
	return s
}

func sizeText(a *answer) string {
	switch {
	case a.truncated && a.total > 0:
		return fmt.Sprintf("%d bytes", a.total)
	case a.truncated:
		return fmt.Sprintf("more than %d bytes", len(a.body))
	}
	return fmt.Sprintf("%d bytes", len(a.body))
}

func describeType(ct string) string {
	if ct == "" {
		return "an untyped"
	}
	return "a " + mediaType(ct)
}

// isText reports whether a body is text: a textual media type, or none and
// valid UTF-8.
func isText(contentType string, body []byte) bool {
	ct := mediaType(contentType)
	switch {
	case ct == "":
		trimmed, _ := cutUTF8(body, len(body))
		return utf8.Valid(trimmed)
	case strings.HasPrefix(ct, "text/"), isJSON(ct), ct == "application/xml", strings.HasSuffix(ct, "+xml"),
		ct == "application/javascript", ct == "application/yaml", ct == "application/x-yaml",
		ct == "application/x-www-form-urlencoded", ct == "application/problem+json", ct == "image/svg+xml":
		return true
	}
	return false
}

// cutUTF8 returns at most n bytes of b without splitting a UTF-8 sequence
// at the end (a body cut at the byte limit may end inside one), and whether
// it cut anything.
func cutUTF8(b []byte, n int) ([]byte, bool) {
	cut := false
	if len(b) > n {
		b, cut = b[:n], true
	}
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b, cut = b[:i], true
			}
			break
		}
	}
	return b, cut
}

// readResource runs a resource read: a 2xx answer becomes the contents (text
// or binary), anything else an error whose message the client sees.
func (op *operation) readResource(ctx context.Context, args map[string]json.RawMessage) ([]*fastmcp.ResourceContents, error) {
	a, err := op.do(ctx, args)
	if err != nil {
		var ae *argError
		var ee *exchangeError
		switch {
		case errors.As(err, &ae):
			return nil, fastmcp.NewUserError("Invalid resource URI: " + ae.msg)
		case errors.As(err, &ee):
			return nil, fastmcp.NewUserError(ee.msg)
		}
		return nil, err
	}
	if a.status/100 != 2 {
		return nil, fastmcp.NewUserError(op.errorText(a))
	}
	mt := mediaType(a.contentType)
	if mt == "" {
		mt = op.responseType
	}
	if !isText(a.contentType, a.body) {
		if a.truncated {
			return nil, fastmcp.NewUserError(fmt.Sprintf("The API answered %s %s with %s body larger than %d bytes", op.method, op.path, describeType(a.contentType), len(a.body)))
		}
		return []*fastmcp.ResourceContents{{MIMEType: mt, Blob: a.body}}, nil
	}
	return []*fastmcp.ResourceContents{{MIMEType: mt, Text: op.bodyText(a)}}, nil
}
