package openapi

import (
	"strings"
	"testing"
)

// Base URLs: Options.BaseURL first, else the operation's, its path's or the
// document's first server, variables expanded, relative ones resolved
// against Document.Location.
func TestBaseURL(t *testing.T) {
	t.Parallel()
	const ops = `"paths":{"/a":{"get":{"operationId":"a","responses":{}}},
		"/b":{"servers":[{"url":"https://path.test/p/"}],"get":{"operationId":"b","responses":{}}},
		"/c":{"get":{"operationId":"c","servers":[{"url":"https://op.test"}],"responses":{}}}}`
	for _, tc := range []struct {
		name, servers, location, baseURL string
		want                             map[string]string // operationId -> base
		wantErr                          string
	}{
		{name: "document server", servers: `[{"url":"https://doc.test/v1/"}]`,
			want: map[string]string{"a": "https://doc.test/v1", "b": "https://path.test/p", "c": "https://op.test"}},
		{name: "variables", servers: `[{"url":"https://{region}.doc.test/{v}","variables":{"region":{"default":"eu"},"v":{"default":"v2"}}}]`,
			want: map[string]string{"a": "https://eu.doc.test/v2"}},
		{name: "variable without default", servers: `[{"url":"https://{region}.doc.test","variables":{}}]`, wantErr: "no default"},
		{name: "relative resolved", servers: `[{"url":"../api"}]`, location: "https://host.test/docs/v1/openapi.json",
			want: map[string]string{"a": "https://host.test/docs/api"}},
		{name: "relative unknown location", servers: `[{"url":"/api"}]`, wantErr: "relative"},
		{name: "no server at all", servers: `[]`, wantErr: "relative"},
		{name: "no server, a location", servers: `[]`, location: "https://host.test/openapi.yaml", want: map[string]string{"a": "https://host.test"}},
		{name: "not http", servers: `[{"url":"ftp://x.test/"}]`, wantErr: "not an http(s) URL"},
		{name: "BaseURL wins", servers: `[{"url":"/api"}]`, baseURL: "https://base.test/x/?q=1",
			want: map[string]string{"a": "https://base.test/x", "b": "https://base.test/x", "c": "https://base.test/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":` + tc.servers + `,` + ops + `}`))
			if err != nil {
				t.Fatal(err)
			}
			doc.Location = tc.location
			b, err := newBuilder(doc, Options{BaseURL: tc.baseURL})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range doc.t.Paths.Keys() {
				item := doc.t.Paths.Value(path)
				kop := item.Get
				want, ok := tc.want[kop.OperationID]
				if !ok {
					continue
				}
				got, err := b.baseURL(item, kop)
				if err != nil || got != want {
					t.Errorf("%s: %q %v, want %q", kop.OperationID, got, err, want)
				}
			}
		})
	}
	// Servers on every operation: the document needs none.
	doc, err := Parse([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/b":{"servers":[{"url":"https://path.test"}],"get":{"responses":{}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newBuilder(doc, Options{}); err != nil {
		t.Errorf("operations with servers of their own: %v", err)
	}
}

// Parameter serialization defaults follow the specification: explode is
// true for the form style only.
func TestParameterDefaults(t *testing.T) {
	t.Parallel()
	doc, err := Parse([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[{"url":"https://x.test"}],"paths":{"/p/{a}":{"get":{"parameters":[
		{"name":"a","in":"path","required":true,"schema":{"type":"array","items":{"type":"string"}}},
		{"name":"b","in":"query","schema":{"type":"array","items":{"type":"string"}}},
		{"name":"c","in":"query","style":"spaceDelimited","schema":{"type":"array","items":{"type":"string"}}},
		{"name":"d","in":"header","schema":{"type":"string"}},
		{"name":"e","in":"cookie","schema":{"type":"string"}},
		{"name":"f","in":"query","style":"form","explode":false,"schema":{"type":"array","items":{"type":"string"}}}
	],"responses":{}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBuilder(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	item := doc.t.Paths.Value("/p/{a}")
	op, err := b.operation("/p/{a}", "GET", item, item.Get, operationInfo("/p/{a}", "GET", item, item.Get))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range op.params {
		got = append(got, p.name+":"+p.style+":"+map[bool]string{true: "explode", false: "-"}[p.explode])
	}
	want := "a:simple:- b:form:explode c:spaceDelimited:- d:simple:- e:form:explode f:form:-"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}
