package schema

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The compiled argument path must accept and refuse exactly what the general
// path (decode, jsonschema-go validation, decode) does, and decode to the same
// values. These types exercise every kind the compiled path handles.
type diffScalars struct {
	S   string          `json:"s" enum:"a,b,c"`
	I   int             `json:"i,omitempty" minimum:"-5" maximum:"5"`
	U8  uint8           `json:"u8,omitempty"`
	F   float64         `json:"f,omitempty" exclusiveMinimum:"0"`
	B   bool            `json:"b,omitempty"`
	P   *string         `json:"p,omitempty" minLength:"2"`
	L   []string        `json:"l,omitempty" enum:"x,y" maxItems:"2"`
	N   []int           `json:"n,omitempty"`
	D   string          `json:"d,omitempty" default:"dflt" pattern:"^[a-z]+$"`
	Any any             `json:"any,omitempty"`
	R   json.RawMessage `json:"r,omitempty"`
	Req float32         `json:"req"`
}

// diffRequired has required slices, which refuse null.
type diffRequired struct {
	L []string `json:"l"`
	N []int    `json:"n" minItems:"1"`
}

type diffPlain struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func diffCodecs[In any](t *testing.T) (*Args[In], *Args[In]) {
	t.Helper()
	fast, err := NewArgs[In](nil)
	if err != nil {
		t.Fatal(err)
	}
	if fast.fast == nil {
		t.Fatalf("%T: compiled path not used", *new(In))
	}
	general := *fast
	general.fast = nil
	return fast, &general
}

func checkSame[In any](t *testing.T, fast, general *Args[In], raw string) {
	t.Helper()
	fv, ferr := fast.Decode(json.RawMessage(raw))
	gv, gerr := general.Decode(json.RawMessage(raw))
	if (ferr == nil) != (gerr == nil) {
		t.Errorf("%s: compiled err = %v, general err = %v", raw, ferr, gerr)
		return
	}
	if ferr != nil && ferr.Error() != gerr.Error() {
		t.Errorf("%s: the paths word the error differently:\ncompiled %v\ngeneral  %v", raw, ferr, gerr)
	}
	if ferr == nil && !reflect.DeepEqual(fv, gv) {
		t.Errorf("%s: compiled = %+v, general = %+v", raw, fv, gv)
	}
}

func TestCompiledArgsMatchGeneralPath(t *testing.T) {
	fast, general := diffCodecs[diffScalars](t)
	cases := []string{
		`{"s":"a","req":1}`, `{"req":1}`, `{"s":"d","req":1}`, `{"s":"a"}`, `{"s":"a","req":null}`,
		`{"s":"a","req":1,"zz":1}`, `{"s":"a","req":"1"}`, `{"s":1,"req":1}`, `{"s":"a","req":1,"i":6}`,
		`{"s":"a","req":1,"i":-5}`, `{"s":"a","req":1,"i":1.5}`, `{"s":"a","req":1,"i":1.0}`, `{"s":"a","req":1,"u8":256}`,
		`{"s":"a","req":1,"u8":-1}`, `{"s":"a","req":1,"f":0}`, `{"s":"a","req":1,"f":0.1}`, `{"s":"a","req":1,"b":"true"}`,
		`{"s":"a","req":1,"b":true}`, `{"s":"a","req":1,"p":null}`, `{"s":"a","req":1,"p":"x"}`, `{"s":"a","req":1,"p":"xy"}`,
		`{"s":"a","req":1,"l":["x","y"]}`, `{"s":"a","req":1,"l":["x","z"]}`, `{"s":"a","req":1,"l":["x","y","x"]}`,
		`{"s":"a","req":1,"l":null}`, `{"s":"a","req":1,"l":"x"}`, `{"s":"a","req":1,"n":[1,2]}`, `{"s":"a","req":1,"n":[1.5]}`,
		`{"s":"a","req":1,"d":"ok"}`, `{"s":"a","req":1,"d":"Bad"}`, `{"s":"a","req":1,"any":{"x":[1]}}`, `{"s":"a","req":1,"any":null}`,
		`{"s":"a","req":1,"r":{"k":1}}`, `{"s":"a","req":1e39}`, `{"s":"a","req":1,"s":"b"}`, `[]`, `"x"`, `{"s":"a","req":1`,
		`{"s":"\u0061","req":1}`, `{"\u0073":"a","req":1}`, `{"S":"a","req":1}`, `{"s":"a","req":-0}`, `null`, ``,
	}
	for _, c := range cases {
		checkSame(t, fast, general, c)
	}
	rf, rg := diffCodecs[diffRequired](t)
	for _, c := range []string{`{"l":[],"n":[1]}`, `{"l":null,"n":[1]}`, `{"l":[],"n":null}`, `{"l":[],"n":[]}`, `{"l":[null],"n":[1]}`, `{"n":[1]}`} {
		checkSame(t, rf, rg, c)
	}
	if _, err := rf.Decode(json.RawMessage(`{"l":null,"n":[1]}`)); err == nil || err.Error() != "l: got null, want array" {
		t.Errorf("null for a required slice: %v", err)
	}
	pf, pg := diffCodecs[diffPlain](t)
	for _, c := range []string{`{"a":1,"b":2}`, `{"a":1}`, `{"a":"1","b":2}`, `{"a":1,"b":2,"c":3}`, `{"a":null,"b":2}`, `{}`} {
		checkSame(t, pf, pg, c)
	}
}

// FuzzCompiledArgs compares the two paths on generated argument objects.
func FuzzCompiledArgs(f *testing.F) {
	f.Add(uint64(1))
	f.Add(uint64(42))
	f.Fuzz(func(t *testing.T, seed uint64) {
		fast, general := diffCodecs[diffScalars](t)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		for range 20 {
			checkSame(t, fast, general, randomArgs(rng))
		}
	})
}

func TestCompiledArgsRandom(t *testing.T) {
	fast, general := diffCodecs[diffScalars](t)
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		checkSame(t, fast, general, randomArgs(rng))
	}
}

var randomValues = []string{`"a"`, `"b"`, `"zz"`, `""`, `"xy"`, `1`, `0`, `-5`, `6`, `2.5`, `1e2`, `-1`, `300`,
	`true`, `false`, `null`, `[]`, `["x"]`, `["x","y","x"]`, `["z"]`, `[1,2]`, `{}`, `{"k":1}`}

var randomKeys = []string{"s", "i", "u8", "f", "b", "p", "l", "n", "d", "any", "r", "req", "zz"}

func randomArgs(rng *rand.Rand) string {
	var parts []string
	for range rng.IntN(6) {
		parts = append(parts, fmt.Sprintf("%q:%s", randomKeys[rng.IntN(len(randomKeys))], randomValues[rng.IntN(len(randomValues))]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// A number the schema admits but the Go type cannot hold is refused in the
// same words as the compiled path uses.
func TestArgsNumberTooLarge(t *testing.T) {
	t.Parallel()
	type inner struct {
		N int     `json:"n"`
		F float32 `json:"f,omitempty"`
	}
	type args struct {
		In inner `json:"in"`
	}
	c, err := NewArgs[args](nil)
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]string{
		`{"in":{"n":1e20}}`:       "in.n: 1e20 does not fit a 64-bit integer",
		`{"in":{"n":1,"f":1e39}}`: "in.f: 1e39 does not fit a 32-bit number",
	} {
		if _, err := c.Decode(json.RawMessage(raw)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
