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
		` { "content" : [ { "text" : "x" , "type" : "text" } , {"type":"text","text":""} ] , "isError" : false , "resultType" : "complete" } `,
		`{"content":[{"type":"text","text":"a"}],"isError":true,"isError":false}`,
		`{"content":[{"type":"text","text":"a\nb \u00e9 \"q\""}]}`,
		`{"content":[{"type":"text","text":"é ü 日本"}]}`,
		"{\"content\":[{\"type\":\"text\",\"text\":\"bad \xff utf8\"}]}",
		"{\"content\":[{\"type\":\"text\",\"text\":\"a\tb\"}]}",
		`{"content":[{"type":"text","text":"a","type":"image"}]}`,
		`{"content":[{"type":"text","text":"a"}],"content":[]}`,
		`{"content":[{"type":"text","text":"a"}],"isError":1}`,
		`{"content":[{"type":"text","text":"a"}],"isError":null}`,
		`{"content":[{"type":"text","text":"a"}],"resultType":5}`,
		`{"content":[{"type":"text","text":"a"}],"other":{"x":[1,2]}}`,
		`{"content":[{"type":"text","text":"a"}],}`,
		`{"content":[{"type":"text","text":"a"},]}`,
		`{"content":[{"type":"text","text":"a",}]}`,
		`{"content":[{"type":"text","text":"a"}]} x`,
		`{"content":[{"type":"text","text":"a"}]`,
		`{"content":[{"type":"text","text":"a"}],"isError":tru}`,
		`{"content":[{"type":"text","text":"a"} {"type":"text","text":"b"}]}`,
		`{"content":[null]}`,
		`{"content":null}`,
		`{"content":[]}`,
		`{"con\u0074ent":[{"type":"text","text":"a"}]}`,
		`{"content":[{"type":"text","text":"a","annotations":{"priority":1}}]}`,
		`{"content":[{"type":"text","text":"1"}],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"add","version":"1.0.0"}},"resultType":"complete"}`,
		`{"content":[{"type":"text","text":"1"}],"_meta":null}`,
		`{"content":[{"type":"text","text":"1"}],"_meta":[1]}`,
		`{"content":[{"type":"text","text":"1"}],"_meta":{"a":}}`,
		`{"content":[{"type":"text","text":"1"}],"_meta":{"a":1},"_meta":{"b":2}}`,
		`{"Content":[{"type":"text","text":"a"}]}`,
		`{"content":[{"type":"text","text":"a"}],"IsError":true}`,
		`{"content":[{"Type":"text","text":"a"}]}`,
		`{"content":[{"type":"text","TEXT":"a"}]}`,
		`{"content":[{"type":"te\u0078t","text":"\ud83d\ude00 \u0000 \/"}]}`,
		`{"content":[{"type":"text","text":"\ud800"}]}`,
		`{"content":[{"type":"text","text":"a","text":null}]}`,
		`{"content":[{"type":"text","text":null}]}`,
		`{"content":[{"type":null,"text":"a"}]}`,
		`{"content":[{"type":"text","text":"a"}],"resultType":null}`,
		`{"content":[{"type":"text","text":"a"}],"resultType":"compl\u0065te","resultType":"x"}`,
		`{"content":[{"type":"text","text":"a"}],"isError":true,"resultType":"complete","_meta":{}}`,
		"{\"content\":[{\"type\":\"text\",\"text\":\"\x01\"}]}",
		`{"content":[{"type":"text","text":"a"}],"_meta":{"k":1e400}}`,
		`{"content":[[]]}`,
		`{"content":[{}]}`,
		`[]`,
		``,
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

// FuzzToolResult checks that toolResult and fastmcp.CallToolResult's
// decoding agree on any input: both refuse it, or both give the same.
func FuzzToolResult(f *testing.F) {
	f.Add(`{"content":[{"type":"text","text":"3"}]}`)
	f.Add(`{"content":[{"type":"text","text":"a"}],"isError":true,"resultType":"complete"}`)
	f.Add(`{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`)
	f.Add(`{"content":[],"structuredContent":{"a":1}}`)
	f.Add(`{"content":[{"type":"text","text":"1"}],"_meta":{"k":{"name":"add"}},"resultType":"complete"}`)
	f.Add(`{"content":[{"type":"te\u0078t","text":"a\nb"}],"isError":false,"resultType":null}`)
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := toolResult(json.RawMessage(raw))
		want := new(fastmcp.CallToolResult)
		werr := json.Unmarshal([]byte(raw), want)
		if (err != nil) != (werr != nil) {
			t.Fatalf("toolResult(%q): error %v, fastmcp: %v", raw, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("toolResult(%q) = %+v, fastmcp: %+v", raw, got, want)
		}
	})
}

// TestPlainTextResultTakesTheUsual checks that the usual results are read
// with the scanner, and others left to encoding/json: the agreement tests
// would pass as well if nothing took the short way.
func TestPlainTextResultTakesTheUsual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{`{"content":[{"type":"text","text":"3"}]}`, true},
		{`{"content":[{"type":"text","text":"1"}],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"add","version":"1.0.0"}},"resultType":"complete"}`, true},
		{` { "content" : [ { "text" : "x" , "type" : "text" } , {"type":"text","text":""} ] , "isError" : true } `, true},
		{`{"content":[{"type":"text","text":"a\nb \u00e9 \"q\""}]}`, true},
		{`{"content":[]}`, true},
		{`{}`, true},
		{`{"content":[{"type":"image","data":"aGk=","mimeType":"image/png"}]}`, false},
		{`{"content":[{"type":"text","text":"a","annotations":{"priority":1}}]}`, false},
		{`{"content":[{"type":"text","text":"a"}],"structuredContent":{"a":1}}`, false},
		{`{"Content":[{"type":"text","text":"a"}]}`, false},
		{`{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"content":[]}`, false},
		{`{"content":[{"type":"text","text":"a"}]`, false},
		{`{"content":[{"type":"text","text":"a"}],"isError":tru}`, false},
	} {
		res, ok := plainTextResult([]byte(tc.raw))
		if ok != tc.ok {
			t.Errorf("plainTextResult(%s): ok %v, want %v", tc.raw, ok, tc.ok)
		}
		if ok && res == nil {
			t.Errorf("plainTextResult(%s): no result", tc.raw)
		}
	}
}
