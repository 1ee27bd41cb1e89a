package proxy

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/fastmcp-go/fastmcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// remarshal converts src to dst through JSON: the Go SDK's types and
// FastMCP's describe the same wire format.
func remarshal(src, dst any) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// programVersion is the main module's version, or "0.0.0".
func programVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "0.0.0"
}

// upInput is a request of the upstream for input, in FastMCP's terms.
type upInput struct {
	method   string
	sampling *fastmcp.CreateMessageParams
	elicit   *fastmcp.ElicitParams
}

// request is the input request to ask the downstream client.
func (in *upInput) request() fastmcp.InputRequest {
	switch in.method {
	case "sampling/createMessage":
		return fastmcp.SamplingRequest(in.sampling)
	case "elicitation/create":
		return fastmcp.ElicitationRequest(in.elicit)
	}
	return fastmcp.RootsRequest()
}

// upstreamInput converts the params of an upstream request for input.
func upstreamInput(method string, params any) (*upInput, error) {
	if params == nil && method != "roots/list" {
		return nil, fmt.Errorf("%s without params", method)
	}
	in := &upInput{method: method}
	switch method {
	case "sampling/createMessage":
		p, err := samplingParams(params)
		if err != nil {
			return nil, err
		}
		in.sampling = p
	case "elicitation/create":
		in.elicit = new(fastmcp.ElicitParams)
		if err := remarshal(params, in.elicit); err != nil {
			return nil, err
		}
	case "roots/list":
	default:
		return nil, fmt.Errorf("unsupported request %q", method)
	}
	return in, nil
}

// inputFromUpstream converts an input request of a 2026-07-28 upstream's
// input_required result.
func inputFromUpstream(r mcp.InputRequest) (*upInput, error) {
	switch r.(type) {
	case *mcp.ElicitParams:
		return upstreamInput("elicitation/create", r)
	case *mcp.CreateMessageParams, *mcp.CreateMessageWithToolsParams:
		return upstreamInput("sampling/createMessage", r)
	case *mcp.ListRootsParams:
		return upstreamInput("roots/list", r)
	}
	return nil, fmt.Errorf("unsupported input request %T", r)
}

// samplingParams converts sampling parameters. Messages whose content is a
// list of blocks (2025-11-25) keep their first text, image or audio block:
// FastMCP's sampling messages hold one block.
func samplingParams(params any) (*fastmcp.CreateMessageParams, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	var w map[string]json.RawMessage
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	if raw, ok := w["messages"]; ok {
		var msgs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &msgs); err != nil {
			return nil, err
		}
		for _, m := range msgs {
			c := m["content"]
			if len(c) == 0 || c[0] != '[' {
				continue
			}
			var blocks []json.RawMessage
			if err := json.Unmarshal(c, &blocks); err != nil {
				return nil, err
			}
			m["content"] = nil
			for _, blk := range blocks {
				var t struct {
					Type string `json:"type"`
				}
				if json.Unmarshal(blk, &t) == nil && (t.Type == "text" || t.Type == "image" || t.Type == "audio") {
					m["content"] = blk
					break
				}
			}
			if m["content"] == nil {
				return nil, fmt.Errorf("a sampling message has no text, image or audio content")
			}
		}
		if w["messages"], err = json.Marshal(msgs); err != nil {
			return nil, err
		}
	}
	if b, err = json.Marshal(w); err != nil {
		return nil, err
	}
	p := new(fastmcp.CreateMessageParams)
	if err := json.Unmarshal(b, p); err != nil {
		return nil, err
	}
	return p, nil
}

// answerJSON is the downstream client's answer to an input request, as the
// upstream expects it.
func answerJSON(resp fastmcp.InputResponse) json.RawMessage {
	if resp.Method() == "roots/list" {
		roots, _ := resp.Roots()
		if roots == nil {
			roots = []fastmcp.Root{}
		}
		b, _ := json.Marshal(fastmcp.ListRootsResult{Roots: roots})
		return b
	}
	return resp.Raw()
}

// resultForUpstream converts the downstream client's answer to the result
// of the upstream's request.
func resultForUpstream(method string, resp fastmcp.InputResponse) (mcp.Result, error) {
	var res mcp.Result
	switch method {
	case "sampling/createMessage":
		res = &mcp.CreateMessageWithToolsResult{}
	case "elicitation/create":
		res = &mcp.ElicitResult{}
	case "roots/list":
		res = &mcp.ListRootsResult{}
	default:
		return nil, fmt.Errorf("proxy: unsupported request %q", method)
	}
	if err := json.Unmarshal(answerJSON(resp), res); err != nil {
		return nil, fmt.Errorf("proxy: the client's answer to %s: %w", method, err)
	}
	return res, nil
}
