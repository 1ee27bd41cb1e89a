package jsonrpc

import (
	"encoding/json"
	"errors"
	"testing"
)

// An id is echoed in the response exactly as it came, so an id that is not
// valid UTF-8 would make the response invalid JSON: it is refused, and the
// refusal carries no id.
func TestDecodeRefusesIDsThatAreNotUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"ascii", `{"jsonrpc":"2.0","id":"abc","method":"ping"}`, true},
		{"multibyte", `{"jsonrpc":"2.0","id":"é漢😀","method":"ping"}`, true},
		{"escaped", `{"jsonrpc":"2.0","id":"\u00e9\ud83d\ude00","method":"ping"}`, true},
		{"lone byte", "{\"jsonrpc\":\"2.0\",\"id\":\"a\xffb\",\"method\":\"ping\"}", false},
		{"truncated sequence", "{\"jsonrpc\":\"2.0\",\"id\":\"\xe6\xbc\",\"method\":\"ping\"}", false},
		{"overlong", "{\"jsonrpc\":\"2.0\",\"id\":\"\xc0\xaf\",\"method\":\"ping\"}", false},
		{"surrogate bytes", "{\"jsonrpc\":\"2.0\",\"id\":\"\xed\xa0\x80\",\"method\":\"ping\"}", false},
		{"response", "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"result\":{}}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			err := Decode([]byte(tt.in), &m)
			if tt.ok {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("Decode err = %v, want *InvalidError", err)
			}
			if inv.ID != nil {
				t.Fatalf("the refusal carries id %q: it would be echoed", inv.ID)
			}
			resp := AppendError(nil, inv.ID, CodeInvalidRequest, "Invalid Request: "+inv.Reason, nil)
			if !json.Valid(resp) {
				t.Fatalf("refusal is not valid JSON: %q", resp)
			}
		})
	}
}
