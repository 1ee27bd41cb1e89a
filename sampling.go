package fastmcp

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// CreateMessageParams ask the client to sample its LLM (sampling/createMessage).
type CreateMessageParams struct {
	// Messages are the conversation to sample a reply to.
	Messages []*SamplingMessage `json:"messages"`
	// ModelPreferences guide the client's choice of model; the client may
	// ignore them.
	ModelPreferences *ModelPreferences `json:"modelPreferences,omitempty"`
	// SystemPrompt is an optional system prompt; the client may change or omit
	// it.
	SystemPrompt string `json:"systemPrompt,omitempty"`
	// IncludeContext is "none", "thisServer" or "allServers".
	IncludeContext string `json:"includeContext,omitempty"`
	// Temperature is the sampling temperature; nil leaves it to the client.
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens is required by the protocol; 0 is sent as is.
	MaxTokens int `json:"maxTokens"`
	// StopSequences end sampling when the model produces one of them.
	StopSequences []string `json:"stopSequences,omitempty"`
	// Metadata is passed through to the LLM provider, in the provider's own
	// format.
	Metadata any `json:"metadata,omitempty"`
	// Meta is the request's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// SamplingMessage is one message of a sampling conversation.
type SamplingMessage struct {
	// Role is the speaker of the message: RoleUser or RoleAssistant.
	Role Role `json:"role"`
	// Content is the message's content block: text, image or audio.
	Content Content `json:"content"`
}

// UnmarshalJSON decodes a SamplingMessage with its polymorphic content.
func (m *SamplingMessage) UnmarshalJSON(data []byte) error {
	var pm PromptMessage
	if err := json.Unmarshal(data, &pm); err != nil {
		return err
	}
	m.Role, m.Content = pm.Role, pm.Content
	return nil
}

// ModelPreferences guide the client's choice of model.
type ModelPreferences struct {
	// Hints suggest models by name, in order: the client takes the first match
	// and should prefer hints to the priorities.
	Hints []ModelHint `json:"hints,omitempty"`
	// CostPriority is how much cost matters, from 0 (not at all) to 1 (most).
	CostPriority *float64 `json:"costPriority,omitempty"`
	// SpeedPriority is how much low latency matters, from 0 to 1.
	SpeedPriority *float64 `json:"speedPriority,omitempty"`
	// IntelligencePriority is how much the model's capability matters, from 0
	// to 1.
	IntelligencePriority *float64 `json:"intelligencePriority,omitempty"`
}

// ModelHint suggests a model by (a substring of) its name.
type ModelHint struct {
	// Name is a model name or part of one, such as "sonnet"; the client may map
	// it to a similar model of another provider.
	Name string `json:"name,omitempty"`
}

// CreateMessageResult is the client's sampled message.
type CreateMessageResult struct {
	// Role is the speaker of the sampled message, usually RoleAssistant.
	Role Role `json:"role"`
	// Content is the sampled content block. When the client sends a list of
	// blocks (2025-11-25), it is the first.
	Content Content `json:"content"`
	// Model names the model that generated the message.
	Model string `json:"model"`
	// StopReason is "endTurn", "stopSequence", "maxTokens" or another value.
	StopReason string `json:"stopReason,omitempty"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// UnmarshalJSON decodes a CreateMessageResult with its polymorphic content.
func (r *CreateMessageResult) UnmarshalJSON(data []byte) error {
	var w struct {
		Role       Role            `json:"role"`
		Content    json.RawMessage `json:"content"`
		Model      string          `json:"model"`
		StopReason string          `json:"stopReason"`
		Meta       Meta            `json:"_meta"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	raw := w.Content
	var c Content
	if len(raw) > 0 && raw[0] == '[' {
		// A list of blocks (2025-11-25): keep the first one FastMCP models
		// (text, image, audio), skipping tool-use blocks.
		var blocks []json.RawMessage
		if err := json.Unmarshal(raw, &blocks); err != nil {
			return err
		}
		for _, b := range blocks {
			if d, err := decodeContent(b); err == nil {
				c = d
				break
			}
		}
		if c == nil {
			return fmt.Errorf("fastmcp: sampling result without text, image or audio content")
		}
	} else {
		var err error
		if c, err = decodeContent(raw); err != nil {
			return err
		}
	}
	*r = CreateMessageResult{Role: w.Role, Content: c, Model: w.Model, StopReason: w.StopReason, Meta: w.Meta}
	return nil
}

// ElicitParams ask the client to get input from its user (elicitation/create).
type ElicitParams struct {
	// Mode is "form" (the default when empty) or "url" (2025-11-25).
	Mode string `json:"mode,omitempty"`
	// Message tells the user what is asked and why.
	Message string `json:"message"`
	// RequestedSchema is the form: an object schema of primitive properties
	// (form mode).
	RequestedSchema any `json:"requestedSchema,omitempty"`
	// URL the user should visit (URL mode), and the id that ties the
	// elicitation to its completion notification.
	URL string `json:"url,omitempty"`
	// ElicitationID identifies a URL-mode elicitation; it must be unique within
	// the server (2025-11-25).
	ElicitationID string `json:"elicitationId,omitempty"`
	// Meta is the request's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// Actions of an ElicitResult.
const (
	ElicitAccept  = "accept"
	ElicitDecline = "decline"
	ElicitCancel  = "cancel"
)

// ElicitResult is the user's answer: Action is ElicitAccept, ElicitDecline or
// ElicitCancel; Content holds the form's values when accepted.
type ElicitResult struct {
	// Action is ElicitAccept, ElicitDecline or ElicitCancel.
	Action string `json:"action"`
	// Content holds the form's values, by property name, when the user accepted
	// a form.
	Content map[string]any `json:"content,omitempty"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// ListRootsResult is the client's answer to roots/list.
type ListRootsResult struct {
	// Roots are the client's roots.
	Roots []Root `json:"roots"`
	// Meta is the result's _meta.
	Meta Meta `json:"_meta,omitempty"`
}

// RequestOptions tune a request the server sends to the client. A nil
// *RequestOptions means the defaults.
type RequestOptions struct {
	// Timeout bounds the wait for the answer. Default Options.RequestTimeout
	// (60 seconds). The context's deadline applies too.
	Timeout time.Duration
	// OnProgress, when set, asks the client for progress notifications and
	// receives them, in order, on the waiting goroutine.
	OnProgress func(Progress)
	// ResetTimeoutOnProgress restarts Timeout with each progress report, so
	// a client that keeps reporting is waited for. Default false.
	ResetTimeoutOnProgress bool
	// MaxTotalTimeout bounds the wait however much progress is reported.
	// Default 0: no bound beyond Timeout.
	MaxTotalTimeout time.Duration
}

// capabilityError reports a capability the client did not declare.
func capabilityError(feature, capability string) error {
	return fmt.Errorf("%w: the client did not declare the %s capability, so it cannot %s", ErrCapability, capability, feature)
}

// call sends a request to the client on out and decodes the answer.
func (s *Session) call(ctx context.Context, out outbound, method string, params, result any, opts *RequestOptions) error {
	raw, err := s.request(ctx, out, method, params, opts)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("fastmcp: invalid %s result from the client: %w", method, err)
	}
	return nil
}

// RequestSampling asks the client to sample its LLM. It fails at once when the
// client did not declare the sampling capability.
//
// Called with the context of a handler serving this session, the request goes
// out on that handler's own stream (over HTTP, its POST's answer); otherwise
// on the session's channel (its GET stream).
func (s *Session) RequestSampling(ctx context.Context, p *CreateMessageParams, opts *RequestOptions) (*CreateMessageResult, error) {
	return s.requestSampling(ctx, s.outFor(ctx), p, opts)
}

// outFor returns the stream of the handler ctx comes from, when it serves this
// session, or nil for the session's own channel.
func (s *Session) outFor(ctx context.Context) outbound {
	if c := ContextFrom(ctx); c != nil && c.sess == s {
		return c.req.conn
	}
	return nil
}

func (s *Session) requestSampling(ctx context.Context, out outbound, p *CreateMessageParams, opts *RequestOptions) (*CreateMessageResult, error) {
	if s.ClientCapabilities().Sampling == nil {
		return nil, capabilityError("sample an LLM for the server", "sampling")
	}
	var res CreateMessageResult
	if err := s.call(ctx, out, "sampling/createMessage", samplingParams(p), &res, opts); err != nil {
		return nil, err
	}
	return &res, nil
}

// Elicit asks the client to get input from its user. It fails at once when the
// client did not declare the elicitation capability (for URL mode: its url
// sub-capability).
// Like RequestSampling, it uses the stream of the handler ctx comes from.
func (s *Session) Elicit(ctx context.Context, p *ElicitParams, opts *RequestOptions) (*ElicitResult, error) {
	return s.elicit(ctx, s.outFor(ctx), p, opts)
}

func (s *Session) elicit(ctx context.Context, out outbound, p *ElicitParams, opts *RequestOptions) (*ElicitResult, error) {
	caps := s.ClientCapabilities().Elicitation
	if caps == nil {
		return nil, capabilityError("ask its user for input", "elicitation")
	}
	if p != nil && p.Mode == "url" && caps.URL == nil {
		return nil, capabilityError("send its user to a URL", "elicitation.url")
	}
	send := *elicitParams(p)
	if v := s.protocol(); v < v20251125 {
		send.Mode = "" // the mode member arrived with 2025-11-25
	}
	var res ElicitResult
	if err := s.call(ctx, out, "elicitation/create", &send, &res, opts); err != nil {
		return nil, err
	}
	return &res, nil
}

// ListRoots asks the client for its roots. It fails at once when the client did
// not declare the roots capability.
// Like RequestSampling, it uses the stream of the handler ctx comes from.
func (s *Session) ListRoots(ctx context.Context, opts *RequestOptions) ([]Root, error) {
	return s.listRoots(ctx, s.outFor(ctx), opts)
}

func (s *Session) listRoots(ctx context.Context, out outbound, opts *RequestOptions) ([]Root, error) {
	if s.ClientCapabilities().Roots == nil {
		return nil, capabilityError("list its roots", "roots")
	}
	var res ListRootsResult
	if err := s.call(ctx, out, "roots/list", nil, &res, opts); err != nil {
		return nil, err
	}
	return res.Roots, nil
}

// Sample asks the client to sample its LLM. In the handshake era the request
// goes out on the request's own stream and Sample waits for the answer. In a
// 2026-07-28 request it returns ErrInputRequired until the client's retry
// carries the answer (see ErrInputRequired). It fails at once with ErrNoSession
// when the request is served statelessly in the handshake era, and with
// ErrCapability when the client cannot sample.
func (c *Context) Sample(p *CreateMessageParams) (*CreateMessageResult, error) {
	res, err := c.req.proto.ask(c, []InputRequest{SamplingRequest(p)})
	if err != nil {
		return nil, err
	}
	return res[0].Sampling()
}

// Elicit asks the client to get input from its user, like Sample: on the
// request's stream in the handshake era, through an input_required result in
// a 2026-07-28 request. It fails at once with ErrNoSession when the request is
// served statelessly in the handshake era, and with ErrCapability when the
// client cannot elicit (in URL mode: cannot elicit URLs).
func (c *Context) Elicit(p *ElicitParams) (*ElicitResult, error) {
	res, err := c.req.proto.ask(c, []InputRequest{ElicitationRequest(p)})
	if err != nil {
		return nil, err
	}
	return res[0].Elicitation()
}

// Roots asks the client for its roots, like Sample: on the request's stream in
// the handshake era, through an input_required result in a 2026-07-28 request.
// It fails at once with ErrNoSession when the request is served statelessly in
// the handshake era, and with ErrCapability when the client has no roots
// capability.
func (c *Context) Roots() ([]Root, error) {
	res, err := c.req.proto.ask(c, []InputRequest{RootsRequest()})
	if err != nil {
		return nil, err
	}
	return res[0].Roots()
}
