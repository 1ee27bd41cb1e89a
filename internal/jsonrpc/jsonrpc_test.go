package jsonrpc

import (
	"encoding/json"
	"errors"
	"testing"
)

var validityCorpus = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `true`, `null`, ` {"a" : [1, 2, {"b": null}] } `,
	`{"a":"\u00e9\n\"x\\"}`, `"\ud83d\ude00"`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `01`, `1.`, `.5`, `-`, `1e`,
	`"\x"`, "\"a\tb\"", `tru`, `nul`, `{"a":1}}`, `{"a":1} x`, `[`, `{`, `"abc`, ``, ` `, `{"a":"b"`,
	`[[[[]]]]`, `{"":""}`, `"\u12"`, `1E-2`, `-01`, `[1 2]`, "{\"a\":1}\n", `{"a":1}{}`,
}

func FuzzValidMatchesStdlib(f *testing.F) {
	for _, s := range validityCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Valid(data), json.Valid(data); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

func TestValidMatchesStdlib(t *testing.T) {
	for _, s := range validityCorpus {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %v, json.Valid = %v", s, got, want)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    Message
		parse   bool   // ErrParse expected
		invalid string // InvalidError expected with this ID
	}{
		{in: `{"jsonrpc":"2.0","id":1,"method":"ping"}`, want: Message{ID: json.RawMessage(`1`), Method: "ping"}},
		{in: `{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}`, want: Message{ID: json.RawMessage(`"a"`), Method: "tools/call", Params: json.RawMessage(`{"name":"x"}`)}},
		{in: `{"jsonrpc":"2.0","method":"notifications/initialized","params":null}`, want: Message{Method: "notifications/initialized"}},
		{in: `{"jsonrpc":"2.0","id":3,"result":{}}`, want: Message{ID: json.RawMessage(`3`), Result: json.RawMessage(`{}`)}},
		{in: `{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"m"}}`, want: Message{ID: json.RawMessage(`3`), Error: &WireError{Code: -1, Message: "m"}}},
		{in: `{"jsonrpc":"2.0","id":1,"method":"p\u0069ng"}`, want: Message{ID: json.RawMessage(`1`), Method: "ping"}},
		{in: `{"jsonrpc":"2.0","id":1,"method":"ping"`, parse: true},
		{in: `nope`, parse: true},
		{in: `[1]`, invalid: "-"},
		{in: `{"jsonrpc":"1.0","id":1,"method":"ping"}`, invalid: "1"},
		{in: `{"id":1,"method":"ping"}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","id":null,"method":"ping"}`, invalid: "-"},
		{in: `{"jsonrpc":"2.0","id":true,"method":"ping"}`, invalid: "-"},
		{in: `{"jsonrpc":"2.0","id":1,"method":5}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","id":1,"method":""}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","id":1,"method":"x","params":3}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","id":1,"method":"x","result":{}}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","method":"x","id":1,"error":{"code":1,"message":""}}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0"}`, invalid: "-"},
		{in: `{"jsonrpc":"2.0","id":1}`, invalid: "1"},
		{in: `{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":""}}`, invalid: "1"},
	}
	for _, tt := range tests {
		var m Message
		err := Decode([]byte(tt.in), &m)
		switch {
		case tt.parse:
			if !errors.Is(err, ErrParse) {
				t.Errorf("%s: err = %v, want ErrParse", tt.in, err)
			}
		case tt.invalid != "":
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%s: err = %v, want *InvalidError", tt.in, err)
				continue
			}
			id := string(inv.ID)
			if id == "" {
				id = "-"
			}
			if id != tt.invalid {
				t.Errorf("%s: invalid id = %s, want %s", tt.in, id, tt.invalid)
			}
		default:
			if err != nil {
				t.Errorf("%s: %v", tt.in, err)
				continue
			}
			if string(m.ID) != string(tt.want.ID) || m.Method != tt.want.Method || string(m.Params) != string(tt.want.Params) || string(m.Result) != string(tt.want.Result) {
				t.Errorf("%s: got %+v, want %+v", tt.in, m, tt.want)
			}
			if (m.Error == nil) != (tt.want.Error == nil) || (m.Error != nil && (m.Error.Code != tt.want.Error.Code || m.Error.Message != tt.want.Error.Message)) {
				t.Errorf("%s: error = %+v, want %+v", tt.in, m.Error, tt.want.Error)
			}
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "<tag>&amp;", "ctl\x01\x1f\t\n\r", "é漢字😀", "bad\xffutf8", "\u2028\u2029"} {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestObjectEachAndUnquote(t *testing.T) {
	var keys []string
	err := ObjectEach([]byte(` {"a":1, "b\u0063":[true], "name":"x\"y"} `), func(k string, v []byte) error {
		keys = append(keys, k+"="+string(v))
		return nil
	})
	if err != nil || len(keys) != 3 || keys[1] != `bc=[true]` {
		t.Fatalf("keys = %v, err = %v", keys, err)
	}
	if s, ok := UnquoteString([]byte(`"x\"y"`)); !ok || s != `x"y` {
		t.Fatalf("UnquoteString = %q %v", s, ok)
	}
	if _, ok := UnquoteString([]byte(`5`)); ok {
		t.Fatal("a number unquoted")
	}
	if err := ObjectEach([]byte(`[1]`), nil); !errors.Is(err, ErrNotObject) {
		t.Fatalf("array: %v", err)
	}
	if err := ObjectEach([]byte(`{"a":}`), nil); !IsSyntaxError(err) {
		t.Fatalf("bad: %v", err)
	}
}
