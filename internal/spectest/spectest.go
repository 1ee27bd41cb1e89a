// Package spectest validates MCP messages against the official JSON schema of
// each protocol revision (testdata/schema/<revision>/schema.json, taken
// unchanged from the specification repository). Tests use it to check that
// every message the server emits is valid in the revision it speaks.
package spectest

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
)

//go:embed testdata/schema
var schemaFS embed.FS

// Revisions lists the revisions whose schema is available, oldest first.
func Revisions() []string {
	entries, _ := fs.ReadDir(schemaFS, "testdata/schema")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Examples returns the official example messages of a revision, by type name
// and file name (only 2026-07-28 has them).
func Examples(rev string) (map[string]map[string]json.RawMessage, error) {
	out := map[string]map[string]json.RawMessage{}
	root := path.Join("testdata/schema", rev, "examples")
	err := fs.WalkDir(schemaFS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := schemaFS.ReadFile(p)
		if err != nil {
			return err
		}
		typ := path.Base(path.Dir(p))
		if out[typ] == nil {
			out[typ] = map[string]json.RawMessage{}
		}
		out[typ][path.Base(p)] = data
		return nil
	})
	return out, err
}

// Validator validates values against the definitions of one revision's schema.
type Validator struct {
	rev     string
	doc     *jsonschema.Schema // the whole schema document
	defsKey string             // "definitions" (draft-07) or "$defs" (2020-12)
	defs    map[string]bool

	mu       sync.Mutex
	resolved map[string]*jsonschema.Resolved
}

var (
	validatorsMu sync.Mutex
	validators   = map[string]*Validator{}
)

// For returns the validator of a revision, such as "2025-11-25".
func For(rev string) (*Validator, error) {
	validatorsMu.Lock()
	defer validatorsMu.Unlock()
	if v := validators[rev]; v != nil {
		return v, nil
	}
	data, err := schemaFS.ReadFile(path.Join("testdata/schema", rev, "schema.json"))
	if err != nil {
		return nil, fmt.Errorf("spectest: no schema for revision %q", rev)
	}
	doc := new(jsonschema.Schema)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("spectest: the %s schema: %w", rev, err)
	}
	v := &Validator{rev: rev, doc: doc, defs: map[string]bool{}, resolved: map[string]*jsonschema.Resolved{}}
	v.defsKey = "definitions"
	defs := doc.Definitions
	if doc.Defs != nil {
		v.defsKey, defs = "$defs", doc.Defs
	}
	for k := range defs {
		v.defs[k] = true
	}
	validators[rev] = v
	return v, nil
}

// Revision returns the validator's revision.
func (v *Validator) Revision() string { return v.rev }

// Has reports whether the schema defines def.
func (v *Validator) Has(def string) bool { return v.defs[def] }

// Validate validates a JSON document against the definition def.
func (v *Validator) Validate(def string, doc []byte) error {
	if !v.defs[def] {
		return fmt.Errorf("spectest: %s has no definition %q", v.rev, def)
	}
	v.mu.Lock()
	rs := v.resolved[def]
	if rs == nil {
		// A schema that is the definition by reference, with the
		// document's definitions beside it for every other reference to
		// resolve against, in the document's draft.
		s := &jsonschema.Schema{Schema: v.doc.Schema, Ref: "#/" + v.defsKey + "/" + def,
			Definitions: v.doc.Definitions, Defs: v.doc.Defs}
		var err error
		if rs, err = s.Resolve(nil); err != nil {
			v.mu.Unlock()
			return fmt.Errorf("spectest: resolving %s: %w", def, err)
		}
		v.resolved[def] = rs
	}
	v.mu.Unlock()
	var inst any
	if err := json.Unmarshal(doc, &inst); err != nil {
		return fmt.Errorf("spectest: not JSON: %w", err)
	}
	if err := rs.Validate(inst); err != nil {
		return fmt.Errorf("%s %s: %w", v.rev, def, err)
	}
	return nil
}

// resultDefs names the result definition of each client request.
var resultDefs = map[string]string{
	"initialize":               "InitializeResult",
	"ping":                     "EmptyResult",
	"tools/list":               "ListToolsResult",
	"tools/call":               "CallToolResult",
	"resources/list":           "ListResourcesResult",
	"resources/templates/list": "ListResourceTemplatesResult",
	"resources/read":           "ReadResourceResult",
	"resources/subscribe":      "EmptyResult",
	"resources/unsubscribe":    "EmptyResult",
	"prompts/list":             "ListPromptsResult",
	"prompts/get":              "GetPromptResult",
	"completion/complete":      "CompleteResult",
	"logging/setLevel":         "EmptyResult",
	"server/discover":          "DiscoverResult",
	"subscriptions/listen":     "SubscriptionsListenResult",
}

// notificationDefs names the definition of each server notification.
var notificationDefs = map[string]string{
	"notifications/message":                    "LoggingMessageNotification",
	"notifications/progress":                   "ProgressNotification",
	"notifications/cancelled":                  "CancelledNotification",
	"notifications/tools/list_changed":         "ToolListChangedNotification",
	"notifications/resources/list_changed":     "ResourceListChangedNotification",
	"notifications/prompts/list_changed":       "PromptListChangedNotification",
	"notifications/resources/updated":          "ResourceUpdatedNotification",
	"notifications/elicitation/complete":       "ElicitationCompleteNotification",
	"notifications/subscriptions/acknowledged": "SubscriptionsAcknowledgedNotification",
}

// errorDefs names the definitions of the errors the 2026-07-28 revision
// defines, by code.
var errorDefs = map[int64]string{
	-32020: "HeaderMismatchError",
	-32021: "MissingRequiredClientCapabilityError",
	-32022: "UnsupportedProtocolVersionError",
}

// requestDefs names the definition of each server-to-client request.
var requestDefs = map[string]string{
	"ping":                   "PingRequest",
	"sampling/createMessage": "CreateMessageRequest",
	"roots/list":             "ListRootsRequest",
	"elicitation/create":     "ElicitRequest",
}

// Conversation validates the messages of one client connection: it remembers
// the method of each request the client sends, so each response's result is
// validated against the definition for that method.
type Conversation struct {
	v       *Validator
	mu      sync.Mutex
	methods map[string]string
}

// NewConversation returns a Conversation validating with v.
func NewConversation(v *Validator) *Conversation {
	return &Conversation{v: v, methods: map[string]string{}}
}

type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// Sent records a message the client sent.
func (c *Conversation) Sent(msg []byte) {
	var e envelope
	if json.Unmarshal(msg, &e) != nil || e.Method == "" || e.ID == nil {
		return
	}
	c.mu.Lock()
	c.methods[string(e.ID)] = e.Method
	c.mu.Unlock()
}

// Received validates a message the server sent.
func (c *Conversation) Received(msg []byte) error {
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return err
		}
		if c.v.Has("JSONRPCBatchResponse") {
			if err := c.v.Validate("JSONRPCBatchResponse", trimmed); err != nil {
				return err
			}
		}
		for _, e := range elems {
			if err := c.Received(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.v.Validate("JSONRPCMessage", trimmed); err != nil {
		return err
	}
	var e envelope
	if err := json.Unmarshal(trimmed, &e); err != nil {
		return err
	}
	switch {
	case e.Method != "" && e.ID != nil:
		if def := requestDefs[e.Method]; def != "" && c.v.Has(def) {
			return c.v.Validate(def, trimmed)
		}
		return c.v.Validate("JSONRPCRequest", trimmed)
	case e.Method != "":
		if def := notificationDefs[e.Method]; def != "" && c.v.Has(def) {
			return c.v.Validate(def, trimmed)
		}
		return c.v.Validate("JSONRPCNotification", trimmed)
	case e.Error != nil:
		// The 2026-07-28 revision defines the errors of its own codes.
		var code struct {
			Code int64 `json:"code"`
		}
		json.Unmarshal(e.Error, &code)
		if def := errorDefs[code.Code]; def != "" && c.v.Has(def) {
			return c.v.Validate(def, trimmed)
		}
		for _, def := range []string{"JSONRPCErrorResponse", "JSONRPCError"} {
			if c.v.Has(def) {
				return c.v.Validate(def, trimmed)
			}
		}
		return nil
	default:
		c.mu.Lock()
		method := c.methods[string(e.ID)]
		c.mu.Unlock()
		def := resultDefs[method]
		if def == "EmptyResult" && !c.v.Has(def) {
			def = "Result"
		}
		var rt struct {
			ResultType string `json:"resultType"`
		}
		json.Unmarshal(e.Result, &rt)
		if rt.ResultType == "input_required" && c.v.Has("InputRequiredResult") {
			def = "InputRequiredResult"
		}
		if def == "" || !c.v.Has(def) {
			return nil
		}
		return c.v.Validate(def, e.Result)
	}
}
