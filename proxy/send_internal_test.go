package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestRequestBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		r     *request
		meta  mcp.Meta
		retry *retryParams
		want  string
	}{
		{"tool", &request{method: "tools/call", name: "add", args: json.RawMessage(`{"a":1}`)}, nil, nil,
			`{"jsonrpc":"2.0","id":"x1","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}`},
		{"tool with meta and retry", &request{method: "tools/call", name: `we"ird\name é`, args: json.RawMessage(`{}`)},
			mcp.Meta{"progressToken": "x1", "caps": json.RawMessage(`{"sampling":{}}`), "n": 3},
			&retryParams{raw: json.RawMessage(`{"k":{"action":"accept"}}`), state: "st\u2028"},
			`{"jsonrpc":"2.0","id":"x1","method":"tools/call","params":{"_meta":{"caps":{"sampling":{}},"n":3,"progressToken":"x1"},"name":"we\"ird\\name é","arguments":{},"inputResponses":{"k":{"action":"accept"}},"requestState":"st\u2028"}}`},
		{"prompt", &request{method: "prompts/get", name: "greet", pargs: map[string]string{"name": "Ada"}}, nil, nil,
			`{"jsonrpc":"2.0","id":"x1","method":"prompts/get","params":{"name":"greet","arguments":{"name":"Ada"}}}`},
		{"prompt without arguments", &request{method: "prompts/get", name: "greet"}, nil, nil,
			`{"jsonrpc":"2.0","id":"x1","method":"prompts/get","params":{"name":"greet"}}`},
		{"resource", &request{method: "resources/read", uri: "test://a b"}, nil, nil,
			`{"jsonrpc":"2.0","id":"x1","method":"resources/read","params":{"uri":"test://a b"}}`},
		{"completion", &request{method: "completion/complete", complete: &mcp.CompleteParams{
			Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "greet"},
			Argument: mcp.CompleteParamsArgument{Name: "style", Value: "fo"},
			Context:  &mcp.CompleteContext{Arguments: map[string]string{"name": "Ada"}},
		}}, nil, nil,
			`{"jsonrpc":"2.0","id":"x1","method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"style","value":"fo"},"context":{"arguments":{"name":"Ada"}}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := requestBody("x1", tc.r, tc.meta, tc.retry)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("invalid JSON %s: %v", b, err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body %s\nwant %s", b, tc.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","properties":{
		"region":{"type":"string","x-mcp-header":"Region"},
		"opts":{"type":"object","properties":{"n":{"type":"integer","x-mcp-header":"N"},"on":{"type":"boolean","x-mcp-header":"On"}}},
		"list":{"type":"array","items":{"type":"string","x-mcp-header":"Ignored"}}}}`)
	params := headerParams(schema)
	if len(params) != 3 {
		t.Fatalf("headerParams = %+v, want Region, N and On", params)
	}
	r := &request{method: "tools/call", name: "héllo", headers: params,
		args: json.RawMessage(`{"region":" eu ","opts":{"n":42,"on":true},"list":["a"]}`)}
	h := http.Header{}
	setRequestHeaders(h, r)
	want := map[string]string{
		"Mcp-Method":       "tools/call",
		"Mcp-Name":         "=?base64?aMOpbGxv?=",
		"Mcp-Param-Region": "=?base64?IGV1IA==?=",
		"Mcp-Param-N":      "42",
		"Mcp-Param-On":     "true",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if h.Get("Mcp-Param-Ignored") != "" {
		t.Error("a parameter under items got a header")
	}
	// Absent, null, fractional and too large values get no header.
	h = http.Header{}
	r.args = json.RawMessage(`{"region":null,"opts":{"n":1.5,"on":"yes"}}`)
	setRequestHeaders(h, r)
	for _, k := range []string{"Mcp-Param-Region", "Mcp-Param-N"} {
		if v := h.Get(k); v != "" {
			t.Errorf("%s = %q, want none", k, v)
		}
	}
	if got := h.Get("Mcp-Param-On"); got != "yes" {
		t.Errorf("Mcp-Param-On = %q", got)
	}
}

func TestReadEvent(t *testing.T) {
	t.Parallel()
	stream := ": keep-alive\r\n\r\n" +
		"id: 1\nretry: 1500\ndata: {\"a\":\ndata: 1}\n\n" +
		"event: other\ndata: x\n\n" +
		"id: 2\n\n" +
		"data: tail"
	br := bufio.NewReader(strings.NewReader(stream))
	ev, err := readEvent(br, 1<<20)
	if err != nil || ev.id != "1" || string(ev.data) != "{\"a\":\n1}" || ev.retry.Milliseconds() != 1500 {
		t.Fatalf("first event %+v %v", ev, err)
	}
	ev, err = readEvent(br, 1<<20)
	if err != nil || ev.name != "other" || string(ev.data) != "x" {
		t.Fatalf("second event %+v %v", ev, err)
	}
	ev, err = readEvent(br, 1<<20)
	if err != nil || ev.id != "2" || len(ev.data) != 0 {
		t.Fatalf("third event %+v %v", ev, err)
	}
	ev, err = readEvent(br, 1<<20)
	if !errors.Is(err, io.EOF) || string(ev.data) != "tail" {
		t.Fatalf("last event %+v %v", ev, err)
	}
	// An event over the limit is an error, not a buffer without bound.
	big := "data: " + strings.Repeat("x", 5000) + "\n\n"
	if _, err := readEvent(bufio.NewReaderSize(strings.NewReader(big), 16), 1024); err == nil {
		t.Error("an oversized event was read")
	}
}

func TestAnswerOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		data   string
		ok     bool
		result string
		err    bool
	}{
		{`{"jsonrpc":"2.0","id":"c1","result":{"x":1}}`, true, `{"x":1}`, false},
		{`{"jsonrpc":"2.0","id":"c1","error":{"code":-32602,"message":"bad"}}`, true, "", true},
		{`{"jsonrpc":"2.0","id":"other","result":{}}`, false, "", false},
		{`{"jsonrpc":"2.0","id":1,"result":{}}`, false, "", false},
		{`{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`, false, "", false},
		{`{"jsonrpc":"2.0","id":"c1"}`, true, "", true},
	} {
		res, ok, err := answerOf([]byte(tc.data), "c1")
		if ok != tc.ok || (err != nil) != tc.err || string(res) != tc.result {
			t.Errorf("answerOf(%s) = %s, %v, %v", tc.data, res, ok, err)
		}
	}
	if _, _, err := answerOf([]byte(`{not json`), "c1"); err == nil {
		t.Error("invalid JSON was accepted")
	}
}

// TestAnswerOfAgreesWithEncodingJSON checks that answerOf, which reads the
// top level of a message with internal/jsonrpc's scanner, finds exactly
// what encoding/json finds, for the messages an upstream sends and for odd
// ones: escapes, spacing, nesting, duplicate members, nulls, names in
// another case and broken JSON (which the scanner refuses, leaving
// encoding/json to word the error).
func TestAnswerOfAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"jsonrpc":"2.0","id":"c1","result":{"content":[{"type":"text","text":"3"}]}}`,
		` { "jsonrpc" : "2.0" , "id" : "c1" , "result" : { "a" : [ 1 , { "b" : "}]\"" } ] } } `,
		"{\n\t\"result\":\"x\",\r\n\"id\":\"c1\"}",
		`{"id":"c1","result":{"s":"a\\\"}{"},"jsonrpc":"2.0"}`,
		`{"id":"c1","result":null}`,
		`{"id":"c1","result":1.5e3}`,
		`{"id":"c1","result":true}`,
		`{"id":"c1","error":null,"result":{}}`,
		`{"id":"c1","error":{"code":-32602,"message":"bad","data":{"x":[1]}}}`,
		`{"id":"c1","error":{"code":"nope"}}`,
		`{"id":"c1","method":null,"result":{}}`,
		`{"id":"c1","method":"","result":{}}`,
		`{"id":"c1","method":"ping"}`,
		`{"id":"c1","method":"sampl\u0069ng/createMessage"}`,
		`{"id":"c1","method":3,"result":{}}`,
		`{"id":"c\u0031","result":{}}`,
		`{"id":"c1","id":"c2","result":{}}`,
		`{"id":"c2","id":"c1","result":{}}`,
		`{"id":"c1","result":{},"result":[2]}`,
		`{"i\u0064":"c1","result":{}}`,
		`{"id":"c12","result":{}}`,
		`{"id":"c","result":{}}`,
		`{"id":null,"result":{}}`,
		`{"id":1,"result":{}}`,
		`{"id":"c1"}`,
		`{}`,
		` {} `,
		`[]`,
		`"c1"`,
		`{"id":"c1","result":{}} x`,
		`{"id":"c1","result":{}`,
		`{"id":"c1","result":}`,
		`{"id":"c1",}`,
		`{"id":"c1" "result":{}}`,
		`{"id":"c1","result":"unterminated}`,
		`{id:"c1"}`,
		`{"id":"c1","result":{"a":tru}}`,
		`{"id":"c1","result":[1,]}`,
		"{\"id\":\"c1\",\"result\":\"a\x01b\"}",
		``,
		// encoding/json matches names ignoring case, Unicode's folds too.
		`{"ID":"c1","result":{}}`,
		`{"Id":"c2","id":"c1","result":{}}`,
		`{"id":"c1","Result":{}}`,
		`{"id":"c1","RESULT":{},"result":[1]}`,
		`{"id":"c1","reſult":{}}`,
		`{"id":"c1","Error":{"code":1,"message":"x"},"result":{}}`,
		`{"id":"c1","Method":"ping","result":{}}`,
		`{"id":"c1","résult":{}}`,
		// null leaves encoding/json's method as it was.
		`{"id":"c1","method":"ping","method":null,"result":{}}`,
		`{"id":"c1","method":null,"method":"ping"}`,
		`{"id":"c1","method":null,"result":{}}`,
	} {
		res, ok, err := answerOf([]byte(data), "c1")
		wres, wok, werr := decodeAnswer([]byte(data), "c1")
		if ok != wok || (err != nil) != (werr != nil) || !bytes.Equal(res, wres) {
			t.Errorf("answerOf(%s) = %s, %v, %v; encoding/json: %s, %v, %v", data, res, ok, err, wres, wok, werr)
		}
		var we, fe *jsonrpc.Error
		if errors.As(werr, &we) {
			if !errors.As(err, &fe) || fe.Code != we.Code || fe.Message != we.Message || string(fe.Data) != string(we.Data) {
				t.Errorf("answerOf(%s) error = %v, encoding/json: %v", data, err, werr)
			}
		}
	}
}

// FuzzAnswerOf checks that answerOf and encoding/json agree on any input:
// the same answer or none, the same result, an error on both sides or none.
func FuzzAnswerOf(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":"c1","result":{"content":[]}}`)
	f.Add(`{"jsonrpc":"2.0","id":"c1","error":{"code":-32602,"message":"bad"}}`)
	f.Add(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`)
	f.Add(`{"jsonrpc":"2.0","id":"c1","method":"ping"}`)
	f.Add(`{"ID":"c1","method":null,"result":[1,{"a":"\u00e9"}]}`)
	f.Fuzz(func(t *testing.T, data string) {
		res, ok, err := answerOf([]byte(data), "c1")
		wres, wok, werr := decodeAnswer([]byte(data), "c1")
		if ok != wok || (err != nil) != (werr != nil) || !bytes.Equal(res, wres) {
			t.Fatalf("answerOf(%q) = %s, %v, %v; encoding/json: %s, %v, %v", data, res, ok, err, wres, wok, werr)
		}
		var we, fe *jsonrpc.Error
		if errors.As(werr, &we) {
			if !errors.As(err, &fe) || fe.Code != we.Code || fe.Message != we.Message || string(fe.Data) != string(we.Data) {
				t.Fatalf("answerOf(%q) error = %v, encoding/json: %v", data, err, werr)
			}
		}
	})
}

// TestScanMessageTakesTheUsual checks that the messages an upstream usually
// sends are read with the scanner, and odd ones left to encoding/json: the
// agreement tests would pass as well if nothing took the short way.
func TestScanMessageTakesTheUsual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		data string
		fine bool
	}{
		{`{"jsonrpc":"2.0","id":"c1","result":{"content":[{"type":"text","text":"3"}]}}`, true},
		{`{"jsonrpc":"2.0","id":"c1","error":{"code":-32602,"message":"bad"}}`, true},
		{`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}}`, true},
		{`{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{}}`, true},
		{` {"id":"c1","method":null,"result":{"k\u00e9":"\n"}} `, true},
		{`{"i\u0064":"c1","result":{}}`, false},
		{`{"ID":"c1","result":{}}`, false},
		{`{"id":"c1","reſult":{}}`, false},
		{`{"id":"c1","method":"p\u0069ng"}`, false},
		{`{"id":"c1","method":1}`, false},
		{`{"id":"c1","result":{"a":tru}}`, false},
		{`[{"id":"c1","result":{}}]`, false},
	} {
		if _, fine := scanMessage([]byte(tc.data)); fine != tc.fine {
			t.Errorf("scanMessage(%s): fine %v, want %v", tc.data, fine, tc.fine)
		}
	}
}

// BenchmarkAnswerOf measures reading the usual answer to a call, and its
// result, as every forwarded call does.
func BenchmarkAnswerOf(b *testing.B) {
	data := []byte(`{"jsonrpc":"2.0","id":"c1","result":{"content":[{"type":"text","text":"3"}],"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"add","version":"1.0.0"}},"resultType":"complete"}}`)
	b.ReportAllocs()
	for b.Loop() {
		res, ok, err := answerOf(data, "c1")
		if !ok || err != nil {
			b.Fatal(ok, err)
		}
		if _, err := toolResult(res); err != nil {
			b.Fatal(err)
		}
	}
}
