package spectest

import (
	"fmt"
	"testing"
)

// The validator must reject what a revision does not allow, or the tests that
// rely on it prove nothing.
func TestValidatorRejects(t *testing.T) {
	tests := []struct {
		rev, def, doc string
		ok            bool
	}{
		{"2024-11-05", "CallToolResult", `{"content":[{"type":"text","text":"x"}]}`, true},
		{"2024-11-05", "CallToolResult", `{"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"}]}`, false},
		{"2025-03-26", "CallToolResult", `{"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"}]}`, true},
		{"2025-03-26", "CallToolResult", `{"content":[{"type":"resource_link","uri":"x://y","name":"y"}]}`, false},
		{"2025-06-18", "CallToolResult", `{"content":[{"type":"resource_link","uri":"x://y","name":"y"}]}`, true},
		{"2025-11-25", "CallToolResult", `{}`, false},
		{"2025-11-25", "InitializeResult", `{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"x"}}`, false},
		{"2025-11-25", "JSONRPCMessage", `{"jsonrpc":"2.0","id":null,"result":{}}`, false},
		{"2025-11-25", "JSONRPCErrorResponse", `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}`, true},
		{"2024-11-05", "JSONRPCError", `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}`, false},
		{"2026-07-28", "CallToolResult", `{"content":[]}`, false},
		{"2026-07-28", "CallToolResult", `{"content":[],"resultType":"complete"}`, true},
	}
	for _, tt := range tests {
		v, err := For(tt.rev)
		if err != nil {
			t.Fatal(err)
		}
		err = v.Validate(tt.def, []byte(tt.doc))
		if (err == nil) != tt.ok {
			t.Errorf("%s %s %s: err = %v, want ok=%v", tt.rev, tt.def, tt.doc, err, tt.ok)
		}
	}
}

// TestEveryRevisionRefusesInvalidMessages checks, in every revision, that
// messages each schema allows are accepted and that messages it forbids are
// refused: a validator that accepts everything, or refuses everything, fails.
func TestEveryRevisionRefusesInvalidMessages(t *testing.T) {
	for _, rev := range Revisions() {
		t.Run(rev, func(t *testing.T) {
			v, err := For(rev)
			if err != nil {
				t.Fatal(err)
			}
			resultType, listExtra := "", ""
			if rev >= "2026-07-28" {
				resultType = `,"resultType":"complete"`
				listExtra = resultType + `,"cacheScope":"public","ttlMs":0`
			}
			tests := []struct {
				def, doc string
				ok       bool
			}{
				{"JSONRPCMessage", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, true},
				{"JSONRPCMessage", `{"jsonrpc":"1.0","id":1,"method":"ping"}`, false},
				{"JSONRPCRequest", `{"jsonrpc":"2.0","id":{"n":1},"method":"ping"}`, false},
				{"JSONRPCMessage", `{"jsonrpc":"2.0","id":1}`, false},
				{"CallToolResult", `{"content":[{"type":"text","text":"x"}]` + resultType + `}`, true},
				{"CallToolResult", `{"content":"not an array"` + resultType + `}`, false},
				{"CallToolResult", `{"content":[{"type":"text"}]` + resultType + `}`, false},
				{"CallToolResult", `{"content":[{"type":"video","data":"AA=="}]` + resultType + `}`, false},
				{"ListToolsResult", `{"tools":[{"name":"t","inputSchema":{"type":"object"}}]` + listExtra + `}`, true},
				{"ListToolsResult", `{"tools":[{"name":"t"}]` + listExtra + `}`, false},
				{"ProgressNotification", `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}`, true},
				{"ProgressNotification", `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`, false},
			}
			if v.Has("InitializeResult") {
				tests = append(tests,
					struct {
						def, doc string
						ok       bool
					}{"InitializeResult", fmt.Sprintf(`{"protocolVersion":%q,"capabilities":{},"serverInfo":{"name":"x","version":"1"}}`, rev), true},
					struct {
						def, doc string
						ok       bool
					}{"InitializeResult", fmt.Sprintf(`{"protocolVersion":%q,"capabilities":{}}`, rev), false})
			}
			for _, tt := range tests {
				err := v.Validate(tt.def, []byte(tt.doc))
				if (err == nil) != tt.ok {
					t.Errorf("%s %s: err = %v, want ok=%v", tt.def, tt.doc, err, tt.ok)
				}
			}
			// A conversation checks a result against its request's method.
			c := NewConversation(v)
			c.Sent([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}`))
			if err := c.Received([]byte(`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"x"}]` + resultType + `}}`)); err != nil {
				t.Errorf("a valid tools/call result was refused: %v", err)
			}
			c.Sent([]byte(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"x"}}`))
			if err := c.Received([]byte(`{"jsonrpc":"2.0","id":8,"result":{"content":"not an array"` + resultType + `}}`)); err == nil {
				t.Error("an invalid tools/call result was accepted")
			}
			if err := c.Received([]byte(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`)); err == nil {
				t.Error("a progress notification without a token was accepted")
			}
		})
	}
}

func TestConversationChecksResultsByMethod(t *testing.T) {
	v, err := For("2025-11-25")
	if err != nil {
		t.Fatal(err)
	}
	c := NewConversation(v)
	c.Sent([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}`))
	if err := c.Received([]byte(`{"jsonrpc":"2.0","id":7,"result":{"content":"not an array"}}`)); err == nil {
		t.Fatal("an invalid tools/call result was accepted")
	}
	c.Sent([]byte(`{"jsonrpc":"2.0","id":8,"method":"ping"}`))
	if err := c.Received([]byte(`{"jsonrpc":"2.0","id":8,"result":{}}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Received([]byte(`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`)); err == nil {
		t.Fatal("a progress notification without a token was accepted")
	}
}

func TestRevisionsAndExamples(t *testing.T) {
	revs := Revisions()
	if len(revs) != 5 || revs[0] != "2024-11-05" || revs[4] != "2026-07-28" {
		t.Fatalf("revisions = %v", revs)
	}
	ex, err := Examples("2026-07-28")
	if err != nil || len(ex) < 50 {
		t.Fatalf("examples: %d types, %v", len(ex), err)
	}
}
