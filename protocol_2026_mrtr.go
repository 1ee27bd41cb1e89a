package fastmcp

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Multi round-trip requests (MRTR, 2026-07-28).
//
// In the 2026-07-28 revision a server cannot send requests to the client:
// when a handler needs the client's input (sampling, elicitation, roots), the
// server answers the request with an input_required result listing what it
// needs, and the client sends the request again with the answers
// (inputResponses) and the requestState it was given. FastMCP makes this
// transparent to handlers:
//
//   - Context.Sample, Context.Elicit, Context.Roots and Context.Ask return
//     ErrInputRequired when the client has not answered yet. The handler
//     returns (any error, or none: FastMCP answers input_required whatever the
//     handler returns once it has asked).
//   - When the client retries, the handler runs again from the start, and the
//     same calls, made in the same order, return the client's answers.
//
// So a handler must be safe to re-run up to its last input call: do side
// effects after the input calls, or make them idempotent. Calls are matched to
// answers by their kind and order (the first Elicit is "elicitation-1", and so
// on), so a handler must make the same input calls in the same order each
// time it runs for the same request.
//
// The requestState FastMCP sends carries the answers of earlier rounds and the
// handler's own state (Context.SetRequestState). It is signed (or encrypted,
// Options.EncryptRequestState) with keys from Options.Secret, expires after
// Options.RequestStateTTL, and is bound to the authenticated principal and to
// the request (method, and the tool or prompt name and arguments, or the
// resource URI): state that fails any check is refused with -32602.
//
// Only tools/call, resources/read and prompts/get may ask for input; in other
// requests the input calls fail. A client that did not declare the needed
// capability gets MissingRequiredClientCapability (-32021).

// ErrInputRequired is returned by Context.Sample, Context.Elicit,
// Context.Roots and Context.Ask in a 2026-07-28 request when the client has
// not supplied the answer yet. Return it (or any error) from the handler:
// FastMCP answers the request with an input_required result, and the client's
// retry runs the handler again with the answer.
var ErrInputRequired = errors.New("fastmcp: input required from the client (return this error: the request is answered with input_required and runs again with the client's answer)")

// mrtrMethods are the requests that may be answered with input_required.
var mrtrMethods = map[string]bool{"tools/call": true, "resources/read": true, "prompts/get": true}

// InputRequest is one request for the client's input: sampling, elicitation
// or roots. Build one with SamplingRequest, ElicitationRequest or
// RootsRequest, and send several at once with Context.Ask.
type InputRequest struct {
	kind   string // key prefix: "sampling", "elicitation", "roots"
	method string
	params any
	key    string // set by WithKey
}

// WithKey names the request in the input_required result of a 2026-07-28
// request (its key in inputRequests and inputResponses). Keys must be unique
// within the request. By default a request is named after its kind and its
// place among the handler's unnamed input requests: "elicitation-1",
// "sampling-2"... A named request is matched to its answer by name, wherever
// the handler makes it. The key has no effect in the handshake era.
func (q InputRequest) WithKey(key string) InputRequest {
	q.key = key
	return q
}

// SamplingRequest asks the client to sample its LLM.
func SamplingRequest(p *CreateMessageParams) InputRequest {
	return InputRequest{kind: "sampling", method: "sampling/createMessage", params: p}
}

// ElicitationRequest asks the client to get input from its user: a form, or
// in URL mode a visit to a URL.
func ElicitationRequest(p *ElicitParams) InputRequest {
	return InputRequest{kind: "elicitation", method: "elicitation/create", params: p}
}

// RootsRequest asks the client for its roots.
func RootsRequest() InputRequest {
	return InputRequest{kind: "roots", method: "roots/list"}
}

// Method returns the method of the request: "sampling/createMessage",
// "elicitation/create" or "roots/list".
func (q InputRequest) Method() string { return q.method }

// missing adds to required the capabilities caps lacks for q.
func (q InputRequest) missing(caps ClientCapabilities, required map[string]any) {
	switch q.kind {
	case "sampling":
		if caps.Sampling == nil {
			required["sampling"] = map[string]any{}
		}
	case "roots":
		if caps.Roots == nil {
			required["roots"] = map[string]any{}
		}
	case "elicitation":
		url := false
		if p, ok := q.params.(*ElicitParams); ok && p != nil && p.Mode == "url" {
			url = true
		}
		switch {
		case url && (caps.Elicitation == nil || caps.Elicitation.URL == nil):
			required["elicitation"] = map[string]any{"url": map[string]any{}}
		case caps.Elicitation == nil:
			required["elicitation"] = map[string]any{}
		}
	}
}

// wireParams returns the request's params as sent in an input_required
// result: the 2026-07-28 revision has no elicitation ids.
func (q InputRequest) wireParams() any {
	switch p := q.params.(type) {
	case *CreateMessageParams:
		return samplingParams(p)
	case *ElicitParams:
		cp := elicitParams(p)
		cp.ElicitationID = ""
		return cp
	}
	return q.params
}

// samplingParams returns p with what the protocol requires filled in: an
// empty message list rather than none.
func samplingParams(p *CreateMessageParams) *CreateMessageParams {
	if p == nil {
		return &CreateMessageParams{Messages: []*SamplingMessage{}}
	}
	if p.Messages == nil {
		cp := *p
		cp.Messages = []*SamplingMessage{}
		return &cp
	}
	return p
}

// elicitParams returns a copy of p with what the protocol requires filled
// in: a form without fields rather than none.
func elicitParams(p *ElicitParams) *ElicitParams {
	var cp ElicitParams
	if p != nil {
		cp = *p
	}
	if cp.Mode != "url" && cp.RequestedSchema == nil {
		cp.RequestedSchema = map[string]any{"type": "object", "properties": map[string]any{}}
	}
	return &cp
}

// InputResponse is the client's answer to one InputRequest.
type InputResponse struct {
	method string
	raw    json.RawMessage
	value  any // *CreateMessageResult, *ElicitResult or []Root
}

// Method returns the method of the request answered.
func (r InputResponse) Method() string { return r.method }

// Raw returns the answer as the client sent it.
func (r InputResponse) Raw() json.RawMessage {
	if r.raw == nil && r.value != nil {
		v := r.value
		if roots, ok := v.([]Root); ok {
			v = ListRootsResult{Roots: roots} // the answer as the client sent it
		}
		raw, _ := json.Marshal(v)
		return raw
	}
	return r.raw
}

// Sampling returns the answer to a SamplingRequest.
func (r InputResponse) Sampling() (*CreateMessageResult, error) {
	if v, ok := r.value.(*CreateMessageResult); ok {
		return v, nil
	}
	return nil, fmt.Errorf("fastmcp: the answer to %s is not a sampling result", r.method)
}

// Elicitation returns the answer to an ElicitationRequest.
func (r InputResponse) Elicitation() (*ElicitResult, error) {
	if v, ok := r.value.(*ElicitResult); ok {
		return v, nil
	}
	return nil, fmt.Errorf("fastmcp: the answer to %s is not an elicitation result", r.method)
}

// Roots returns the answer to a RootsRequest.
func (r InputResponse) Roots() ([]Root, error) {
	if v, ok := r.value.([]Root); ok {
		return v, nil
	}
	return nil, fmt.Errorf("fastmcp: the answer to %s is not a roots result", r.method)
}

// decodeAnswer decodes and checks the client's answer to a request of kind.
func decodeAnswer(kind string, raw json.RawMessage) (any, error) {
	switch kind {
	case "sampling":
		var res CreateMessageResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, err
		}
		if res.Role != RoleUser && res.Role != RoleAssistant {
			return nil, fmt.Errorf("role must be %q or %q", RoleUser, RoleAssistant)
		}
		return &res, nil
	case "elicitation":
		var res ElicitResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, err
		}
		switch res.Action {
		case ElicitAccept, ElicitDecline, ElicitCancel:
		default:
			return nil, fmt.Errorf("action must be %q, %q or %q", ElicitAccept, ElicitDecline, ElicitCancel)
		}
		return &res, nil
	case "roots":
		var res struct {
			Roots *[]Root `json:"roots"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, err
		}
		if res.Roots == nil {
			return nil, errors.New("roots is missing")
		}
		for i, r := range *res.Roots {
			if r.URI == "" {
				return nil, fmt.Errorf("roots[%d] has no uri", i)
			}
		}
		return *res.Roots, nil
	}
	return nil, fmt.Errorf("unknown input kind %q", kind)
}

// Ask asks the client for several inputs at once and returns the answers in
// the order of reqs.
//
// In the handshake era the requests go to the client concurrently, on the
// request's stream, and Ask waits for all of them. In a 2026-07-28 request they
// go out together in one input_required result: Ask returns ErrInputRequired
// until the client's retry carries every answer (see ErrInputRequired). Either
// way it fails at once when the client did not declare a capability a
// request needs (ErrCapability; in 2026-07-28 an *Error with
// CodeMissingRequiredClientCapability, which also matches ErrCapability).
func (c *Context) Ask(reqs ...InputRequest) ([]InputResponse, error) {
	return c.req.proto.ask(c, reqs)
}

// askModern serves Ask in a 2026-07-28 request: the answers come from the
// request's inputResponses and requestState; missing ones become input
// requests.
func (c *Context) askModern(reqs []InputRequest) ([]InputResponse, error) {
	st := c.inputState()
	if st == nil {
		return nil, fmt.Errorf("fastmcp: %s cannot ask the client for input in protocol revision %s: only tools/call, resources/read and prompts/get can", c.req.Method, ProtocolVersion20260728)
	}
	required := map[string]any{}
	for _, q := range reqs {
		if q.kind == "" {
			return nil, errors.New("fastmcp: invalid InputRequest (build one with SamplingRequest, ElicitationRequest or RootsRequest)")
		}
		q.missing(c.req.clientCaps, required)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(required) > 0 {
		names := make([]string, 0, len(required))
		for k := range required {
			names = append(names, k)
		}
		err := missingCapability("the "+c.req.Method+" request", fmt.Sprint(names), required)
		st.failed = err
		return nil, err
	}
	out := make([]InputResponse, len(reqs))
	waiting := false
	for i, q := range reqs {
		key := q.key
		if key == "" {
			st.n++
			key = q.kind + "-" + strconv.Itoa(st.n)
		}
		raw, ok := st.answers[key]
		if !ok {
			p := pendingInput{key: key, req: q}
			if f := c.srv.opts.ClientRequestMeta; f != nil {
				p.meta = f(c)
			}
			st.pending = append(st.pending, p)
			waiting = true
			continue
		}
		v, err := decodeAnswer(q.kind, raw)
		if err != nil {
			e := NewError(CodeInvalidParams, "Invalid params: inputResponses[%q] is not a valid %s result: %v", key, q.method, err)
			st.failed = e
			return nil, e
		}
		if st.used == nil {
			st.used = map[string]json.RawMessage{}
		}
		st.used[key] = raw
		out[i] = InputResponse{method: q.method, raw: raw, value: v}
	}
	if waiting {
		return nil, ErrInputRequired
	}
	return out, nil
}

// RequestState returns the state set with SetRequestState in an earlier round
// of this multi round-trip request (2026-07-28), or nil: in the first round,
// and in the handshake era.
func (c *Context) RequestState() []byte {
	if st := c.inputState(); st != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		return bytes.Clone(st.app)
	}
	return nil
}

// SetRequestState sets state for the next round of this multi round-trip
// request: when the request is answered with input_required, the state travels
// in its requestState (protected like the rest of it) and RequestState returns
// it when the client retries. It has no effect in the handshake era or when
// the request completes.
func (c *Context) SetRequestState(state []byte) {
	if st := c.inputState(); st != nil {
		st.mu.Lock()
		st.app, st.appSet = bytes.Clone(state), true
		st.mu.Unlock()
	}
}

// RetryRequest makes a 2026-07-28 request be answered with input_required
// even when no input call is pending, so that the client sends it again at
// once, with the state set by SetRequestState: a handler can split long work
// into rounds. It returns ErrInputRequired, for the handler to return. In the
// handshake era, and in requests that cannot be answered with input_required,
// it returns an error saying so and has no effect.
//
// The result carries requestState and no inputRequests, which the revision
// lets a client retry at once; some clients (the Go SDK v1.8.0) hand such a
// result to their caller instead of retrying.
func (c *Context) RetryRequest() error {
	st := c.inputState()
	if st == nil {
		return fmt.Errorf("fastmcp: %s cannot be answered with input_required (only tools/call, resources/read and prompts/get of protocol revision %s can)", c.req.Method, ProtocolVersion20260728)
	}
	st.mu.Lock()
	st.retry = true
	st.mu.Unlock()
	return ErrInputRequired
}

// pendingInput is an input request waiting for the client's answer.
type pendingInput struct {
	key string
	req InputRequest
	// meta are the members Options.ClientRequestMeta adds to its _meta.
	meta Meta
}

// inputState is the multi round-trip state of one request.
type inputState struct {
	// principal and digest bind a requestState to the caller and the
	// request; computed on first use (bind), as most requests never need
	// them.
	r         *request
	auth      any
	bound     bool
	principal string
	digest    []byte

	mu      sync.Mutex
	answers map[string]json.RawMessage // from inputResponses and requestState
	used    map[string]json.RawMessage // answers handed to the handler
	pending []pendingInput
	n       int // unnamed requests made
	failed  error
	app     []byte // Context.SetRequestState
	appSet  bool
	retry   bool // RetryRequest was called
}

// stateClaims is the content of a requestState.
type stateClaims struct {
	Exp       int64                      `json:"exp"` // Unix milliseconds
	Principal string                     `json:"sub,omitempty"`
	Request   []byte                     `json:"req"` // digest of the request
	Answers   map[string]json.RawMessage `json:"in,omitempty"`
	App       []byte                     `json:"app,omitempty"`
}

// readInput prepares the multi round-trip state of a tools/call,
// resources/read or prompts/get request: it reads inputResponses and checks
// requestState.
func (s *Server) readInput(c *Context) error {
	r := c.req
	pm := r.members()
	if pm.err != nil {
		return pm.err
	}
	responses, state := pm.input, pm.state
	r.mrtr = true
	if (state == nil || string(state) == "null") && (responses == nil || string(responses) == "null") {
		return nil // a first round: the state is made if the handler asks
	}
	st := &inputState{r: r, auth: c.Auth()}
	r.input = st
	if state != nil && string(state) != "null" {
		token, ok := jsonrpc.UnquoteString(state)
		if !ok {
			return NewError(CodeInvalidParams, "Invalid params: requestState must be a string")
		}
		payload, err := s.keys.open(token)
		if err != nil {
			return NewError(CodeInvalidParams, "Invalid params: requestState is invalid: %v", err)
		}
		var cl stateClaims
		if err := json.Unmarshal(payload, &cl); err != nil {
			return NewError(CodeInvalidParams, "Invalid params: requestState is invalid: %v", errBadToken)
		}
		st.bind()
		switch {
		case time.Now().UnixMilli() > cl.Exp:
			return NewError(CodeInvalidParams, "Invalid params: requestState has expired; send the request again without it")
		case cl.Principal != st.principal:
			return NewError(CodeInvalidParams, "Invalid params: requestState was issued to another principal")
		case !bytes.Equal(cl.Request, st.digest):
			return NewError(CodeInvalidParams, "Invalid params: requestState was issued for another request")
		}
		if len(cl.Answers) > 0 {
			st.answers = make(map[string]json.RawMessage, len(cl.Answers))
		}
		for k, v := range cl.Answers {
			st.answers[k] = v
		}
		st.app = cl.App
	}
	if responses != nil && string(responses) != "null" {
		if responses[0] != '{' {
			return NewError(CodeInvalidParams, "Invalid params: inputResponses must be an object")
		}
		err := jsonrpc.ObjectEach(responses, func(key string, value []byte) error {
			if st.answers == nil {
				st.answers = map[string]json.RawMessage{}
			}
			st.answers[key] = value
			return nil
		})
		if err != nil {
			return NewError(CodeInvalidParams, "Invalid params: inputResponses must be an object")
		}
	}
	return nil
}

// inputState returns the multi round-trip state of the request, made on
// first use, or nil when the request cannot ask for input.
func (c *Context) inputState() *inputState {
	r := c.req
	if !r.mrtr {
		return nil
	}
	r.inputOnce.Do(func() {
		if r.input == nil {
			r.input = &inputState{r: r, auth: c.Auth()}
		}
	})
	return r.input
}

// bind computes what binds a requestState: the caller's principal and the
// request's digest.
func (st *inputState) bind() {
	if !st.bound {
		st.principal, st.digest, st.bound = principalOf(st.auth), requestDigest(st.r), true
	}
}

// requestDigest identifies a request for binding requestState to it: its
// method and the parameters that say what it is about (the tool or prompt
// name and arguments, or the resource URI), with arguments in canonical form.
func requestDigest(r *request) []byte {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	pm := r.members()
	for _, m := range [...]struct {
		key   string
		value []byte
	}{{"name", pm.name}, {"uri", pm.uri}, {"arguments", pm.args}} {
		if m.value == nil {
			continue
		}
		h.Write([]byte(m.key))
		h.Write([]byte{0})
		if m.key == "arguments" {
			h.Write(canonicalJSON(m.value))
		} else {
			h.Write(m.value)
		}
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// canonicalJSON re-encodes a JSON value with sorted object keys, no
// insignificant space and numbers in one form (2, 2.0 and 2e0 alike), so
// equal values digest equally however the client wrote them.
func canonicalJSON(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(canonicalNumbers(v))
	if err != nil {
		return raw
	}
	return out
}

// canonicalNumbers rewrites the numbers of a decoded value in one form:
// integers exactly, others as the shortest float64 form.
func canonicalNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return json.Number(strconv.FormatInt(int64(f), 10))
			}
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case map[string]any:
		for k, x := range v {
			v[k] = canonicalNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = canonicalNumbers(x)
		}
	}
	return v
}

// outcome decides how a request that went through the multi round-trip
// machinery is answered, once its handler returned: with the failure of an
// input call (an invalid answer, a missing capability), with input_required
// when input calls are pending or the handler called RetryRequest, or as the
// handler said (nil, nil).
func (st *inputState) outcome(s *Server, r *request) (any, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failed != nil {
		return nil, st.failed
	}
	if len(st.pending) == 0 && !st.retry {
		return nil, nil
	}
	st.bind()
	cl := stateClaims{
		Exp:       time.Now().Add(s.opts.RequestStateTTL).UnixMilli(),
		Principal: st.principal,
		Request:   st.digest,
		App:       st.app,
	}
	if len(st.used) > 0 {
		cl.Answers = st.used
	}
	payload, err := json.Marshal(cl)
	if err != nil {
		return nil, fmt.Errorf("fastmcp: encoding requestState: %w", err)
	}
	b := []byte(`{"resultType":"input_required"`)
	if len(st.pending) > 0 {
		b = append(b, `,"inputRequests":{`...)
		for i, p := range st.pending {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonrpc.AppendString(b, p.key)
			b = append(b, `:{"method":`...)
			b = jsonrpc.AppendString(b, p.req.method)
			params := json.RawMessage(`{}`)
			if p.req.params != nil {
				var err error
				if params, err = json.Marshal(p.req.wireParams()); err != nil {
					return nil, fmt.Errorf("fastmcp: encoding input request %s: %w", p.key, err)
				}
			}
			if len(p.meta) > 0 {
				var err error
				if params, err = withMeta(params, p.meta); err != nil {
					return nil, fmt.Errorf("fastmcp: encoding input request %s: %w", p.key, err)
				}
			}
			b = append(b, `,"params":`...)
			b = append(b, params...)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	b = append(b, `,"requestState":`...)
	b = jsonrpc.AppendString(b, s.keys.seal(payload, s.opts.EncryptRequestState))
	b = append(b, '}')
	r.noCache = true
	return json.RawMessage(b), nil
}
