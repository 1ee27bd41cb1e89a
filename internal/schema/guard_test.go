package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// A schema that refers to itself without nesting would make validation
// recurse without end: it is refused when the tool is registered. Recursion
// through properties or items is fine.
func TestRefCyclesRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema string
		refused      bool
	}{
		{"self ref", `{"type":"object","$defs":{"S":{"$ref":"#/$defs/S"}},"properties":{"a":{"$ref":"#/$defs/S"}}}`, true},
		{"allOf back to root", `{"type":"object","allOf":[{"$ref":"#"}]}`, true},
		{"two-step cycle", `{"type":"object","$defs":{"A":{"anyOf":[{"$ref":"#/$defs/B"}]},"B":{"not":{"$ref":"#/$defs/A"}}},"properties":{"x":{"$ref":"#/$defs/A"}}}`, true},
		{"draft-07 definitions", `{"type":"object","definitions":{"S":{"oneOf":[{"$ref":"#/definitions/S"}]}},"properties":{"a":{"$ref":"#/definitions/S"}}}`, true},
		{"tree through properties", `{"type":"object","$defs":{"Node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/Node"}}}}},"properties":{"root":{"$ref":"#/$defs/Node"}}}`, false},
		{"root through properties", `{"type":"object","properties":{"next":{"$ref":"#"}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewArgs[map[string]any](json.RawMessage(tt.schema))
			if tt.refused != (err != nil) {
				t.Fatalf("NewArgs: %v, want refused %v", err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(), "without nesting") {
				t.Errorf("error %q does not say why", err)
			}
		})
	}
}

// Arguments nesting past MaxArgumentDepth are refused before validation.
func TestArgumentDepthBounded(t *testing.T) {
	t.Parallel()
	args, err := NewArgs[map[string]any](json.RawMessage(`{"type":"object","$defs":{"N":{"anyOf":[{"type":"null"},{"type":"object","properties":{"n":{"$ref":"#/$defs/N"}}}]}},"properties":{"n":{"$ref":"#/$defs/N"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	nest := func(n int) json.RawMessage {
		return json.RawMessage(strings.Repeat(`{"n":`, n) + "null" + strings.Repeat("}", n))
	}
	if _, err := args.Decode(nest(MaxArgumentDepth - 1)); err != nil {
		t.Errorf("%d levels: %v", MaxArgumentDepth-1, err)
	}
	_, err = args.Decode(nest(10 * MaxArgumentDepth))
	if err == nil || !strings.Contains(err.Error(), "levels deep") {
		t.Errorf("%d levels: %v, want refused", 10*MaxArgumentDepth, err)
	}
	if d := depth([]byte(`{"s":"{[{[","a":[1,{"b":[]}]}`), 100); d != 4 {
		t.Errorf("depth = %d, want 4 (brackets in strings do not count)", d)
	}
}
