package ojson

import (
	"strings"
	"testing"
)

func TestRoundTripKeepsText(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"b": 1, "a": [true, null, "x\u00e9"], "c": {"z": {}, "y": []}}`,
		"{\n\t\"tabs\": {\"k\":1.50}\n}",
	} {
		v, err := Decode([]byte(in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", in, err)
		}
		out, err := Marshal(v, "  ")
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("unchanged document rewritten:\n%s\nwant\n%s", out, in)
		}
	}
}

func TestSetRewritesOnlyWhatChanged(t *testing.T) {
	in := "{\n  \"keep\": {\"a\":1},\n  \"servers\": {\n    \"old\": {\"x\": [1,2]}\n  },\n  \"last\": 2\n}"
	v, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	root := v.(*Object)
	sv, _ := root.Get("servers")
	servers := sv.(*Object)
	entry := &Object{}
	entry.Set("command", "/bin/x")
	entry.Set("args", []any{"-v"})
	if servers.Set("new", entry) {
		t.Error("Set reported an existing key")
	}
	out, _ := Marshal(root, "  ")
	want := "{\n  \"keep\": {\"a\":1},\n  \"servers\": {\n    \"old\": {\"x\": [1,2]},\n    \"new\": {\n      \"command\": \"/bin/x\",\n      \"args\": [\n        \"-v\"\n      ]\n    }\n  },\n  \"last\": 2\n}"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if got := strings.Join(root.Keys(), ","); got != "keep,servers,last" {
		t.Errorf("keys %s", got)
	}
	if !servers.Set("old", "replaced") {
		t.Error("Set did not report the existing key")
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":1} x`, `{"a" 1}`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
}

func TestStripJSONC(t *testing.T) {
	in := "// head\n{\n  \"url\": \"http://x//y\", /* c */\n  \"a\": [1, 2,], // tail\n  \"s\": \"a,}\",\n}\n"
	out, changed := StripJSONC([]byte(in))
	if !changed {
		t.Error("no change reported")
	}
	v, err := Decode(out)
	if err != nil {
		t.Fatalf("stripped text does not decode: %v\n%s", err, out)
	}
	u, _ := v.(*Object).Get("url")
	s, _ := v.(*Object).Get("s")
	if u != "http://x//y" || s != "a,}" {
		t.Errorf("strings changed: %v %v", u, s)
	}
	if _, changed := StripJSONC([]byte(`{"a": "//"}`)); changed {
		t.Error("a string was taken for a comment")
	}
}

func TestDetectIndent(t *testing.T) {
	for in, want := range map[string]string{
		"{}":                   "  ",
		"{\n\t\"a\": 1\n}":     "\t",
		"{\n    \"a\": 1\n}":   "    ",
		"{\"a\": {\n  \"b\"}}": "  ",
	} {
		if got := DetectIndent([]byte(in)); got != want {
			t.Errorf("DetectIndent(%q) = %q, want %q", in, got, want)
		}
	}
}
