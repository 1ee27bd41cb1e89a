package fastmcptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fastmcp-go/fastmcp"
)

// Structured decodes the structured result of a tool call into a T, the Out
// type of the tool's handler:
//
//	res, err := c.CallTool(ctx, "stats", map[string]any{"numbers": []int{1, 2, 3}})
//	...
//	st, err := fastmcptest.Structured[Stats](res)
//
// A handler whose Out is not an object (a number, a string, a slice) has its
// value sent wrapped as {"result": value}; Structured unwraps it when the
// object itself does not decode into a T: Structured[int] gets the number,
// Structured[map[string]any] the object. Clients of revisions before
// 2025-06-18 receive no structuredContent, only its JSON as one text block:
// Structured decodes that block instead.
//
// It returns an error for a result with isError (the error carries the
// result's text), a result with no structured content and no single text
// block, or content that does not decode into a T.
func Structured[T any](res *fastmcp.CallToolResult) (T, error) {
	var v T
	if res == nil {
		return v, errors.New("fastmcptest: no tool result")
	}
	if res.IsError {
		return v, fmt.Errorf("fastmcptest: the tool returned an error result: %s", Text(res))
	}
	raw, err := structuredJSON(res)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		// A value that is not an object is sent as {"result": value}.
		var w map[string]json.RawMessage
		if json.Unmarshal(raw, &w) == nil && len(w) == 1 && w["result"] != nil {
			var inner T
			if json.Unmarshal(w["result"], &inner) == nil {
				return inner, nil
			}
		}
		return v, fmt.Errorf("fastmcptest: decoding structured content %s into %T: %w", raw, v, err)
	}
	return v, nil
}

// structuredJSON returns the JSON of a result's structured content, or of its
// only text block when it has none.
func structuredJSON(res *fastmcp.CallToolResult) (json.RawMessage, error) {
	switch sc := res.StructuredContent.(type) {
	case nil:
	case json.RawMessage:
		return sc, nil
	default:
		return json.Marshal(sc)
	}
	if len(res.Content) == 1 {
		if tc, ok := res.Content[0].(*fastmcp.TextContent); ok {
			if raw := bytes.TrimSpace([]byte(tc.Text)); json.Valid(raw) {
				return raw, nil
			}
		}
	}
	return nil, fmt.Errorf("fastmcptest: the tool result has no structured content: %s", Text(res))
}
