package spectest

import "testing"

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
