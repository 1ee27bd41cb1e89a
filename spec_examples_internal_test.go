package fastmcp

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/spectest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

// The protocol wire types are FastMCP's own. Each official 2026-07-28 example
// of a type FastMCP models must decode into it and encode back to the same
// JSON (member order aside).
func TestOfficialExamplesRoundTrip(t *testing.T) {
	t.Parallel()
	examples, err := spectest.Examples(ProtocolVersion20260728)
	if err != nil {
		t.Fatal(err)
	}
	type codec struct {
		decode func([]byte) (any, error)
	}
	into := func(newV func() any) codec {
		return codec{func(b []byte) (any, error) {
			v := newV()
			err := json.Unmarshal(b, v)
			return v, err
		}}
	}
	content := codec{func(b []byte) (any, error) { return decodeContent(b) }}
	codecs := map[string]codec{
		"Tool":                             into(func() any { return new(Tool) }),
		"Resource":                         into(func() any { return new(Resource) }),
		"Root":                             into(func() any { return new(Root) }),
		"TextContent":                      content,
		"ImageContent":                     content,
		"AudioContent":                     content,
		"EmbeddedResource":                 content,
		"ResourceLink":                     content,
		"BlobResourceContents":             into(func() any { return new(ResourceContents) }),
		"TextResourceContents":             into(func() any { return new(ResourceContents) }),
		"CallToolResult":                   into(func() any { return new(CallToolResult) }),
		"GetPromptResult":                  into(func() any { return new(GetPromptResult) }),
		"ReadResourceResult":               into(func() any { return new(ReadResourceResult) }),
		"ListToolsResult":                  into(func() any { return new(ListToolsResult) }),
		"CompleteResult":                   into(func() any { return new(CompleteResult) }),
		"ElicitResult":                     into(func() any { return new(ElicitResult) }),
		"ListRootsResult":                  into(func() any { return new(ListRootsResult) }),
		"ModelPreferences":                 into(func() any { return new(ModelPreferences) }),
		"CallToolRequestParams":            into(func() any { return new(CallToolParams) }),
		"GetPromptRequestParams":           into(func() any { return new(GetPromptParams) }),
		"CompleteRequestParams":            into(func() any { return new(CompleteParams) }),
		"ElicitRequestFormParams":          into(func() any { return new(ElicitParams) }),
		"ElicitRequestURLParams":           into(func() any { return new(ElicitParams) }),
		"LoggingMessageNotificationParams": into(func() any { return new(LoggingMessageParams) }),
		"ClientCapabilities":               into(func() any { return new(ClientCapabilities) }),
		"ServerCapabilities":               into(func() any { return new(ServerCapabilities) }),
		"ProgressNotificationParams":       into(func() any { return new(ProgressParams) }),
		"CreateMessageResult":              into(func() any { return new(CreateMessageResult) }),
		"CreateMessageRequestParams":       into(func() any { return new(CreateMessageParams) }),
		"SamplingMessage":                  into(func() any { return new(SamplingMessage) }),
	}
	// Examples of features FastMCP does not model yet (sampling with tools:
	// tool-use and tool-result blocks, several blocks per sampling message).
	notModeled := map[string]bool{
		"CreateMessageResult/tool-use-response.json":                  true,
		"CreateMessageResult/final-response.json":                     true,
		"CreateMessageRequestParams/follow-up-with-tool-results.json": true,
		"CreateMessageRequestParams/request-with-tools.json":          true,
		"SamplingMessage/multiple-content-blocks.json":                true,
	}
	var types []string
	for typ := range codecs {
		types = append(types, typ)
	}
	sort.Strings(types)
	tested := 0
	for _, typ := range types {
		files := examples[typ]
		if len(files) == 0 {
			t.Errorf("no official example of %s", typ)
		}
		for name, raw := range files {
			if notModeled[typ+"/"+name] {
				continue
			}
			tested++
			v, err := codecs[typ].decode(raw)
			if err != nil {
				t.Errorf("%s/%s: decode: %v", typ, name, err)
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Errorf("%s/%s: encode: %v", typ, name, err)
				continue
			}
			var want, got any
			json.Unmarshal(raw, &want)
			json.Unmarshal(out, &got)
			if diff := testdiff.Diff(dropDefaultFalse(want), got); diff != "" {
				t.Errorf("%s/%s: round trip changed the JSON (-official +re-encoded):\n%s", typ, name, diff)
			}
		}
	}
	t.Logf("%d official examples round-tripped", tested)
}

// dropDefaultFalse removes members whose value is false and whose absence the
// specification defines as false (isError, hasMore): FastMCP omits them.
func dropDefaultFalse(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if (k == "isError" || k == "hasMore") && e == false {
				delete(x, k)
				continue
			}
			x[k] = dropDefaultFalse(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropDefaultFalse(e)
		}
	}
	return v
}
