package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestShellSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"node server.js", []string{"node", "server.js"}},
		{`  a   'b c'  "d \"e\" \$f" g\ h `, []string{"a", "b c", `d "e" $f`, "g h"}},
		{`python -c 'print("x")'`, []string{"python", "-c", `print("x")`}},
		{`a''b ""`, []string{"ab", ""}},
	}
	for _, tt := range tests {
		got, err := shellSplit(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("shellSplit(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`a 'b`, `a "b`, "   "} {
		if _, err := shellSplit(bad); err == nil {
			t.Errorf("shellSplit(%q) succeeded", bad)
		}
	}
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	goDir := filepath.Join(dir, "srv")
	os.Mkdir(goDir, 0o755)
	os.WriteFile(filepath.Join(goDir, "main.go"), []byte("package main\n"), 0o644)
	emptyDir := filepath.Join(dir, "empty")
	os.Mkdir(emptyDir, 0o755)
	script := filepath.Join(dir, "server.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	single := filepath.Join(dir, "one.go")
	os.WriteFile(single, []byte("package main\n"), 0o644)

	tests := []struct {
		words []string
		kind  targetKind
		check func(*target) bool
	}{
		{[]string{"https://example.com/mcp"}, kindURL, func(t *target) bool { return t.url == "https://example.com/mcp" }},
		{[]string{"HTTP://x/sse"}, kindURL, nil},
		{[]string{goDir, "--flag"}, kindGo, func(t *target) bool { return t.pkg == goDir && t.args[0] == "--flag" && t.binName() == "srv" }},
		{[]string{single}, kindGo, func(t *target) bool { return t.binName() == "one" }},
		{[]string{script, "a"}, kindCommand, func(t *target) bool { return t.command == script }},
		{[]string{"sh", "-c", "x"}, kindCommand, func(t *target) bool { return t.command == "sh" }},
		{[]string{"github.com/acme/tools/cmd/server@v1.2.0"}, kindGo, func(t *target) bool { return t.binName() == "server" }},
		{[]string{"example.com/mod/v2"}, kindGo, func(t *target) bool { return t.binName() == "mod" }},
	}
	for _, tt := range tests {
		got, err := resolveTarget(tt.words)
		if err != nil {
			t.Errorf("resolveTarget(%q): %v", tt.words, err)
			continue
		}
		if got.kind != tt.kind || tt.check != nil && !tt.check(got) {
			t.Errorf("resolveTarget(%q) = %+v", tt.words, got)
		}
	}
	for _, bad := range [][]string{
		nil, {""}, {emptyDir}, {"./no/such/thing"}, {"not-a-command-anywhere"},
		{"https://x/mcp", "arg"}, {"wss://x/mcp"},
	} {
		var ue *usageError
		if _, err := resolveTarget(bad); !errors.As(err, &ue) {
			t.Errorf("resolveTarget(%q) = %v, want a usage error", bad, err)
		}
	}
	// One argument with spaces is a command line, unless it names a file.
	spaced := filepath.Join(dir, "my server")
	os.WriteFile(spaced, []byte("#!/bin/sh\n"), 0o755)
	if w, _ := splitServer(spaced, nil); len(w) != 1 {
		t.Errorf("splitServer split an existing path: %q", w)
	}
	if w, _ := splitServer("node a.js --x", nil); len(w) != 3 {
		t.Errorf("splitServer did not split a command line: %q", w)
	}
}

func TestParseArgs(t *testing.T) {
	input := asSchema(map[string]any{
		"type": "object",
		"properties": map[string]any{
			"zip":  map[string]any{"type": "string"},
			"n":    map[string]any{"type": "integer"},
			"kind": map[string]any{"enum": []any{"a", "1"}},
			"addr": map[string]any{"$ref": "#/$defs/addr"},
		},
		"$defs": map[string]any{"addr": map[string]any{"type": "object", "properties": map[string]any{"code": map[string]any{"type": "string"}}}},
	})
	got, err := parseArgs(`{"keep": [1], "addr": {"x": 1}}`, nil, []string{"zip=01234", "n=7", "kind=1", "addr.code=007", "free=true", "raw=hello world", "nul=null"}, input)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"addr":{"code":"007","x":1},"free":true,"keep":[1],"kind":"1","n":7,"nul":null,"raw":"hello world","zip":"01234"}`
	if string(b) != want {
		t.Errorf("parseArgs = %s\nwant %s", b, want)
	}
	got, err = parseArgs("-", strings.NewReader(`{"a": 1}`), nil, nil)
	if err != nil || got["a"] == nil {
		t.Errorf("--args - = %v, %v", got, err)
	}
	for _, bad := range []struct {
		json  string
		pairs []string
	}{
		{`{`, nil}, {`[1]`, nil}, {`{} {}`, nil}, {"", []string{"noequals"}}, {"", []string{"=x"}},
		{"", []string{"a..b=1"}}, {"", []string{"a=1", "a.b=2"}},
	} {
		var ue *usageError
		if _, err := parseArgs(bad.json, nil, bad.pairs, nil); !errors.As(err, &ue) {
			t.Errorf("parseArgs(%q, %q) = %v, want a usage error", bad.json, bad.pairs, err)
		}
	}
}

func TestParseInput(t *testing.T) {
	s := func(js string) schema {
		var m map[string]any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		schema, in string
		want       any
		err        string
	}{
		{`{"type":"string"}`, " hi ", "hi", ""},
		{`{"type":"string"}`, `""`, "", ""},
		{`{"type":"string","minLength":3}`, "ab", nil, "at least 3"},
		{`{"type":"string","pattern":"^[a-z]+$"}`, "A1", nil, "does not match"},
		{`{"type":"integer"}`, "42", int64(42), ""},
		{`{"type":"integer"}`, "4.5", nil, "not an integer"},
		{`{"type":"integer","minimum":1,"maximum":5}`, "9", nil, "above the maximum 5"},
		{`{"type":"number","exclusiveMinimum":0}`, "0", nil, "must be above 0"},
		{`{"type":"number"}`, "-1.5e2", -150.0, ""},
		{`{"type":"boolean"}`, "Yes", true, ""},
		{`{"type":"boolean"}`, "off", false, ""},
		{`{"type":"boolean"}`, "maybe", nil, "not yes or no"},
		{`{"enum":["red","green"]}`, "green", "green", ""},
		{`{"enum":["red","green"]}`, "2", "green", ""},
		{`{"enum":["red","green"]}`, "blue", nil, "not one of red, green"},
		{`{"enum":[1,2,3]}`, "2", 2.0, ""},
		{`{"oneOf":[{"const":"v1","title":"First"},{"const":"v2","title":"Second"}]}`, "second", "v2", ""},
		{`{"type":"array","items":{"type":"integer"}}`, "1, 2,3", []any{int64(1), int64(2), int64(3)}, ""},
		{`{"type":"array","items":{"enum":["a","b"]}}`, "a,c", nil, "not one of a, b"},
		{`{"type":"array","minItems":2}`, `["x"]`, nil, "at least 2 items"},
		{`{"type":"object"}`, `{"a":1}`, map[string]any{"a": 1.0}, ""},
		{`{"type":["integer","null"]}`, "null", nil, ""},
		{`{}`, "[1]", []any{1.0}, ""},
		{`{}`, "plain", "plain", ""},
	}
	for _, tt := range tests {
		sc := s(tt.schema)
		got, err := parseInput(sc, sc, tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseInput(%s, %q) = %v, %v; want an error with %q", tt.schema, tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseInput(%s, %q) = %#v, %v; want %#v", tt.schema, tt.in, got, err, tt.want)
		}
	}
}

func TestSchemaForms(t *testing.T) {
	var in schema
	json.Unmarshal([]byte(`{
		"type": "object",
		"$defs": {"addr": {"type": "object", "description": "from the def", "properties": {"city": {"type": "string"}}}},
		"properties": {
			"b": {"type": "boolean"},
			"name": {"type": "string", "description": "Who"},
			"addr": {"$ref": "#/$defs/addr", "description": "Where"},
			"level": {"enum": ["lo", "hi"], "enumNames": ["Low", "High"], "default": "lo"},
			"tags": {"type": ["array", "null"], "items": {"type": "string"}},
			"id": {"type": "integer", "format": "int64"}
		},
		"required": ["name", "id"]
	}`), &in)
	var names []string
	for _, f := range in.fields(in) {
		names = append(names, f.name)
		if f.name == "addr" && (f.s.str("description") != "Where" || f.s.mainType() != "object") {
			t.Errorf("$ref not resolved with its sibling description: %v", f.s)
		}
	}
	if got := strings.Join(names, ","); got != "name,id,addr,b,level,tags" {
		t.Errorf("fields in order %s", got)
	}
	if got := signature(in); got != "name: string, id: integer, addr?: object, b?: boolean, level?: enum, tags?: array" {
		t.Errorf("signature %q", got)
	}
	props := asSchema(in["properties"])
	for name, want := range map[string]string{
		"level": "one of lo (Low), hi (High)",
		"tags":  "list of string or null",
		"id":    "integer (int64)",
	} {
		if got := asSchema(props[name]).typeLabel(in); got != want {
			t.Errorf("typeLabel(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestSSETap(t *testing.T) {
	var got []string
	tap := &sseTap{fn: func(b []byte) { got = append(got, string(b)) }}
	stream := "id: 1\r\nevent: message\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n: comment\n\ndata: two\n\n"
	// Fed in pieces that split lines anywhere.
	for i := 0; i < len(stream); i += 7 {
		tap.feed([]byte(stream[i:min(i+7, len(stream))]))
	}
	if want := []string{"{\"a\":\n1}", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestSmallHelpers(t *testing.T) {
	if got, c := completeFrom("te", []string{"testing", "testValue1", "other", "testValue2"}); got != "test" || len(c) != 3 {
		t.Errorf("completeFrom = %q %q", got, c)
	}
	if got, c := completeFrom("o", []string{"other"}); got != "other" || c != nil {
		t.Errorf("completeFrom one = %q %q", got, c)
	}
	if s := suggest("lsit", commandNames()); s != "list" {
		t.Errorf("suggest = %q", s)
	}
	if s := suggest("zzzzzz", commandNames()); s != "" {
		t.Errorf("suggest = %q", s)
	}
	for u, want := range map[string]bool{"http://x/sse": true, "http://x/sse/": true, "http://x/mcp": false, "http://x/mcp?t=/sse": false} {
		if useSSE(u, false) != want {
			t.Errorf("useSSE(%s) = %v", u, !want)
		}
	}
	if a, c, err := parseElicitReply(`{"ok": true}`); a != "accept" || c["ok"] != true || err != nil {
		t.Errorf("parseElicitReply = %v %v %v", a, c, err)
	}
	if a, _, _ := parseElicitReply("decline"); a != "decline" {
		t.Errorf("decline = %v", a)
	}
	if _, _, err := parseElicitReply("yes please"); err == nil {
		t.Error("parseElicitReply accepted text")
	}
	for words, want := range map[string]string{
		"npx -y @acme/weather-server@1.2":  "weather-server",
		"python3 -m server":                "server",
		"node build/index.js":              "index",
		"/usr/local/bin/github-mcp":        "github-mcp",
		"https://api.example.com:8443/mcp": "api.example.com",
	} {
		w, _ := shellSplit(words)
		tg := &target{kind: kindCommand, command: w[0], args: w[1:]}
		if strings.HasPrefix(words, "https") {
			tg = &target{kind: kindURL, url: words}
		}
		if got := defaultName(tg); got != want {
			t.Errorf("defaultName(%s) = %q, want %q", words, got, want)
		}
	}
	if got := progressBar(palette{}, 1, 4, "a quarter", 12); got != "[===>        ]  25% a quarter" {
		t.Errorf("progressBar = %q", got)
	}
	var lines []string
	lw := &lineWriter{fn: func(s string) { lines = append(lines, s) }}
	lw.Write([]byte("a\r\nb"))
	lw.Write([]byte("c\n"))
	if !reflect.DeepEqual(lines, []string{"a", "bc"}) {
		t.Errorf("lineWriter lines %q", lines)
	}
	tb := &tailBuffer{max: 4}
	tb.Write([]byte("abcdef"))
	if tb.String() != "cdef" {
		t.Errorf("tailBuffer = %q", tb.String())
	}
}
