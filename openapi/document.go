package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// DefaultMaxDocumentBytes is the largest document Fetch reads: 32 MiB. It is
// a bound, not a target: public API descriptions run to a few megabytes
// (Twilio's is 1.9 MB); a larger answer is a mistake or an attack.
const DefaultMaxDocumentBytes = 32 << 20

// maxDocumentBytes is DefaultMaxDocumentBytes, lowered by tests.
var maxDocumentBytes int64 = DefaultMaxDocumentBytes

// ErrUnsupportedVersion is returned by Parse for a document that is not
// OpenAPI 3.x (Swagger 2.0 included).
var ErrUnsupportedVersion = errors.New("openapi: only OpenAPI 3.0 and 3.1 documents are supported")

// ErrNoBaseURL is returned by Register when the document gives no absolute
// http(s) server URL (none, a relative one without Document.Location, a
// variable without a default) and Options.BaseURL is empty.
var ErrNoBaseURL = errors.New("openapi: no base URL for the API")

// Document is a parsed OpenAPI 3.0 or 3.1 description. Make one with Parse or
// Fetch; it is read-only afterwards and safe to register on several servers.
type Document struct {
	// Location is where the document came from, when known: Fetch sets it to
	// the URL it read. A relative server URL in the document (servers: [{url:
	// /v1}]) is resolved against it. Default: empty, and a document with a
	// relative server URL then needs Options.BaseURL.
	Location string

	t *openapi3.T
	// v30 is true for OpenAPI 3.0.x, whose schemas need translating to JSON
	// Schema 2020-12 (nullable, boolean exclusive bounds, example).
	v30 bool

	mu      sync.Mutex
	generic any            // the whole document as plain JSON values, built on first need
	schemas map[string]any // components/schemas entries as plain JSON values
}

// Parse reads an OpenAPI 3.0 or 3.1 document in JSON or YAML. References
// within the document ($ref: '#/components/...') are resolved; references to
// other files or URLs are refused, so a document from an untrusted source
// cannot make the process read local files or reach other hosts.
//
// Parse never panics: a malformed or hostile document is an error.
func Parse(data []byte) (doc *Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("openapi: parsing the document failed: %v", r)
		}
	}()
	if err := checkVersion(data); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if !strings.HasPrefix(t.OpenAPI, "3.") {
		return nil, fmt.Errorf("%w (the document says openapi: %q)", ErrUnsupportedVersion, t.OpenAPI)
	}
	if t.Paths == nil {
		t.Paths = openapi3.NewPaths()
	}
	return &Document{t: t, v30: t.IsOpenAPI30()}, nil
}

// checkVersion refuses Swagger 2.0 with a clear error before the loader
// reports missing 3.x fields. It looks at a top-level "swagger" key only.
func checkVersion(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var head struct {
			Swagger string `json:"swagger"`
		}
		if json.Unmarshal(trimmed, &head) == nil && head.Swagger != "" {
			return fmt.Errorf("%w (the document says swagger: %q)", ErrUnsupportedVersion, head.Swagger)
		}
		return nil
	}
	for line := range bytes.Lines(trimmed) {
		if v, ok := bytes.CutPrefix(line, []byte("swagger:")); ok {
			return fmt.Errorf("%w (the document says swagger: %s)", ErrUnsupportedVersion, bytes.TrimSpace(v))
		}
	}
	return nil
}

// Fetch reads a document from an http(s) URL with client (nil means
// http.DefaultClient, bounded by ctx), refusing one larger than
// DefaultMaxDocumentBytes, and parses it with Parse. The document's Location is
// rawURL, so relative server URLs resolve against it.
func Fetch(ctx context.Context, client *http.Client, rawURL string) (*Document, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openapi: Fetch needs an absolute http(s) URL, got %q", rawURL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("openapi: fetching the document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("openapi: fetching the document: %s answered %s", u.Redacted(), resp.Status)
	}
	tooLarge := fmt.Errorf("openapi: the document at %s is larger than %d bytes", u.Redacted(), maxDocumentBytes)
	if resp.ContentLength > maxDocumentBytes {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("openapi: fetching the document: %w", err)
	}
	if int64(len(data)) > maxDocumentBytes {
		return nil, tooLarge
	}
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	// The final URL after redirects is where relative URLs resolve from.
	doc.Location = resp.Request.URL.String()
	return doc, nil
}

// Title returns the document's info.title.
func (d *Document) Title() string {
	if d.t.Info == nil {
		return ""
	}
	return d.t.Info.Title
}

// Version returns the document's openapi field, such as "3.0.4" or "3.1.0".
func (d *Document) Version() string { return d.t.OpenAPI }

// lookup returns the plain JSON value a local reference ("#/components/...")
// points to. Component schemas are marshalled one by one; any other pointer
// marshals the whole document once.
func (d *Document) lookup(ref string) (any, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("reference %q is not local to the document", ref)
	}
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	if frag == "" {
		return nil, fmt.Errorf("reference %q points to the whole document", ref)
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, fmt.Errorf("reference %q is not a JSON pointer (anchors are not supported)", ref)
	}
	tokens := strings.Split(frag[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var node any
	if len(tokens) >= 3 && tokens[0] == "components" && tokens[1] == "schemas" {
		v, err := d.componentSchema(tokens[2])
		if err != nil {
			return nil, fmt.Errorf("reference %q: %w", ref, err)
		}
		node, tokens = v, tokens[3:]
	} else {
		if d.generic == nil {
			v, err := toPlain(d.t)
			if err != nil {
				return nil, err
			}
			d.generic = v
		}
		node = d.generic
	}
	for _, t := range tokens {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[t]
			if !ok {
				return nil, fmt.Errorf("reference %q: no %q", ref, t)
			}
			node = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(t, "%d", &i); err != nil || i < 0 || i >= len(n) || fmt.Sprint(i) != t {
				return nil, fmt.Errorf("reference %q: no element %q", ref, t)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("reference %q: %q is not inside an object or array", ref, t)
		}
	}
	return node, nil
}

// componentSchema returns components/schemas/name as plain JSON. The caller
// holds d.mu.
func (d *Document) componentSchema(name string) (any, error) {
	if v, ok := d.schemas[name]; ok {
		return v, nil
	}
	if d.t.Components == nil || d.t.Components.Schemas[name] == nil {
		return nil, fmt.Errorf("no schema %q in components", name)
	}
	v, err := toPlain(d.t.Components.Schemas[name])
	if err != nil {
		return nil, err
	}
	if d.schemas == nil {
		d.schemas = map[string]any{}
	}
	d.schemas[name] = v
	return v, nil
}

// toPlain turns a parsed value back into plain JSON values (maps, slices,
// strings, json.Number, bools, nil). References stay {"$ref": ...}, so a
// cyclic schema marshals finitely.
func toPlain(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return out, nil
}
