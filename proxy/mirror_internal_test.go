package proxy

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

// TestToolResultAgreesWithFastMCP checks that the one-pass decoding of
// text results gives what fastmcp.CallToolResult's own decoding gives, and
// that other results, and broken ones, go through the latter.
func TestToolResultAgreesWithFastMCP(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"content":[{"type":"text","text":"3"}]}`,
		`{"content":[{"type":"text","text":"a","annotations":{"audience":["user"],"priority":0.5},"_meta":{"k":[1,"x"]}},{"type":"text","text":"b\u00e9\n"}],"isError":true}`,
		`{"content":[],"structuredContent":{"sum":3,"list":[1,{"a":null}]},"_meta":{"progress":1}}`,
		`{"structuredContent":{"sum":3}}`,
		`{}`,
		`{"content":[{"type":"text","text":"a"},{"type":"image","data":"aGk=","mimeType":"image/png"}]}`,
		`{"content":[{"type":"resource_link","uri":"file:///a","name":"a"}]}`,
		`{"content":[{"type":"resource","resource":{"uri":"file:///a","text":"x"}}]}`,
		`{"content":[{"type":"audio","data":"aGk=","mimeType":"audio/wav"}]}`,
		`{"content":[{"type":"image","data":"not base64!","mimeType":"image/png"}]}`,
		`{"content":[{"type":"nope"}]}`,
		`{"content":[{"text":"no type"}]}`,
		`{"content":{"type":"text"}}`,
		`{"content":[{"type":"text","text":5}]}`,
		`not json`,
	} {
		got, err := toolResult(json.RawMessage(raw))
		want := new(fastmcp.CallToolResult)
		werr := json.Unmarshal([]byte(raw), want)
		if (err != nil) != (werr != nil) {
			t.Errorf("toolResult(%s): error %v, fastmcp: %v", raw, err, werr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			t.Errorf("toolResult(%s) = %s, fastmcp: %s", raw, gb, wb)
		}
	}
}
