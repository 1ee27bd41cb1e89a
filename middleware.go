package fastmcp

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MethodHandler serves one MCP request: it returns the result the client
// receives, or an error. The result's type depends on the method:
//
//   - tools/call: *CallToolResult;
//   - resources/read: *ReadResourceResult;
//   - prompts/get: *GetPromptResult;
//   - completion/complete: *CompleteResult;
//   - every other method (the lists, initialize, ping, server/discover...):
//     json.RawMessage, the encoded result object.
//
// A 2026-07-28 request answered with input_required (see ErrInputRequired)
// has a json.RawMessage result whatever its method. A handler may return any
// JSON-encodable value instead; a *CallToolResult is shaped to the client's
// protocol revision. An *Error is sent as that JSON-RPC error; any other error
// as an internal error whose text is hidden unless Options.ShowErrorDetails is
// set (and logged).
type MethodHandler func(ctx *Context, req *Request) (result any, err error)

// Middleware wraps a MethodHandler: it runs code before and after the
// request's handler, may change the request (req.Name, req.Arguments), replace
// the result or the error, or answer without calling next at all. Add it with
// Server.Use.
//
// Middleware runs for every request the server serves, in both protocol eras
// and on every transport, and for every round of a 2026-07-28 multi
// round-trip request. It does not run for notifications and responses from
// the client. It runs outside FastMCP's own policies: a request refused by an
// access check (an "Unknown tool"), a rate limit or a timeout reaches
// middleware as that refusal, and so does a request refused before its handler
// (malformed params, an unknown method).
//
// A middleware must be safe for concurrent use. Before calling next it sees
// the request; ctx carries the session, the auth data, the protocol version
// and the rest of the request's context.
type Middleware func(next MethodHandler) MethodHandler

// dispatch runs the middleware chain, or without middleware the method's
// handler directly.
func (s *Server) dispatch(c *Context) (any, error) {
	if h := s.chain.Load(); h != nil {
		return (*h)(c, &c.req.Request)
	}
	return s.handle(c, &c.req.Request)
}

// handle is the innermost handler: the refusal prepared for the request, or
// the method's handler in the request's era (FastMCP's own policies included),
// then the multi round-trip outcome.
func (s *Server) handle(c *Context, req *Request) (any, error) {
	r := c.req
	if r.prepErr != nil {
		return nil, r.prepErr
	}
	h, err := r.proto.handler(s, c)
	if err != nil {
		return nil, err
	}
	result, err := h(c, req)
	if r.input != nil {
		// A handler that asked the client for input is answered with
		// input_required, whatever it returned.
		if res, ierr := r.input.outcome(s, r); res != nil || ierr != nil {
			result, err = res, ierr
		}
	}
	return result, err
}

// FastMCP's own policies on tools/call, as middleware around the tool's
// handler (built in newToolCall): access checks outermost (a hidden tool is
// an unknown one), then the session's tool metrics, the rate limits, the task
// policy (a call that becomes a task returns here: tasks_engine.go), and the
// tool's timeout.

// newToolCall returns the tools/call handler: the tool run wrapped in the
// built-in policies. A policy that is off (no rate limits configured) is left
// out of the chain.
func (s *Server) newToolCall() MethodHandler {
	h := MethodHandler(s.runToolCall)
	h = s.toolTimeout(h)
	h = s.toolTask(h)
	if rl := s.opts.RateLimits; rl != nil && (rl.PerUser.enabled() || rl.PerSession.enabled() || len(rl.Tools) > 0) {
		h = s.toolRateLimit(h)
	}
	h = s.toolMetrics(h)
	return s.toolAccess(h)
}

// toolFor returns the tool a tools/call names (req.Name), resolved once per
// name for the request; a tool the caller may not see is unknown.
func (s *Server) toolFor(c *Context, req *Request) (*toolEntry, error) {
	r := c.req
	if r.tool != nil && r.toolName == req.Name {
		return r.tool, nil
	}
	e := s.reg.tools.get(req.Name)
	if e == nil || c.hidden(e) || !c.allowed(e.tool.CanAccess) {
		return nil, NewError(CodeInvalidParams, "Unknown tool: %s", req.Name)
	}
	r.tool, r.toolName = e, req.Name
	return e, nil
}

// toolAccess refuses a tool the caller may not see (Tool.CanAccess) as an
// unknown tool, so its existence does not leak.
func (s *Server) toolAccess(next MethodHandler) MethodHandler {
	return func(c *Context, req *Request) (any, error) {
		if _, err := s.toolFor(c, req); err != nil {
			return nil, err
		}
		return next(c, req)
	}
}

// toolMetrics records the call in the session's tool metrics
// (Session.Metrics).
func (s *Server) toolMetrics(next MethodHandler) MethodHandler {
	return func(c *Context, req *Request) (any, error) {
		if c.sess == nil {
			return next(c, req)
		}
		start := time.Now()
		res, err := next(c, req)
		failed := err != nil
		if tr, ok := res.(*CallToolResult); ok && tr != nil && tr.IsError {
			failed = true
		}
		c.sess.recordToolCall(start, failed)
		return res, err
	}
}

// toolRateLimit applies Options.RateLimits to tool calls: over a limit, the
// call is answered with an isError result saying when to retry.
func (s *Server) toolRateLimit(next MethodHandler) MethodHandler {
	return func(c *Context, req *Request) (any, error) {
		if limited := s.checkToolRate(c, req.Name); limited != nil {
			return limited, nil
		}
		return next(c, req)
	}
}

// toolTimeout bounds the call by Tool.Timeout, else Options.ToolTimeout: when
// it passes, the handler's context is cancelled and the client gets a result
// with isError saying the tool timed out.
func (s *Server) toolTimeout(next MethodHandler) MethodHandler {
	return func(c *Context, req *Request) (any, error) {
		e, err := s.toolFor(c, req)
		if err != nil {
			return nil, err
		}
		timeout := e.timeout
		if timeout <= 0 {
			timeout = s.opts.ToolTimeout
		}
		if timeout <= 0 {
			return next(c, req)
		}
		return s.withToolTimeout(c, req, e, timeout, next)
	}
}

// withToolTimeout runs next on its own goroutine under the timeout, so a
// handler that ignores its context still gets its caller an answer in time.
func (s *Server) withToolTimeout(c *Context, req *Request, e *toolEntry, timeout time.Duration, next MethodHandler) (any, error) {
	tc, cancel := c.withTimeout(timeout)
	defer cancel()
	type outcome struct {
		res any
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{nil, s.recoveredIn(c, "tool "+e.tool.Name, v)}
			}
		}()
		res, err := next(tc, req)
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-tc.Done():
		select {
		case o = <-done: // finished at the deadline: keep its result
		default:
			if c.Err() != nil {
				// The request itself ended (client cancel, session end).
				return nil, context.Cause(c)
			}
			return s.timedOut(c, e, timeout), nil
		}
	}
	if tr, ok := o.res.(*CallToolResult); ok && o.err == nil && tr != nil && tr.IsError &&
		errors.Is(tc.Err(), context.DeadlineExceeded) && c.Err() == nil {
		// The handler gave up because of the timeout: say so.
		return s.timedOut(c, e, timeout), nil
	}
	return o.res, o.err
}

func (s *Server) timedOut(ctx context.Context, e *toolEntry, d time.Duration) *CallToolResult {
	s.logger.WarnContext(ctx, "fastmcp: tool timed out", "tool", e.tool.Name, "timeout", d)
	res := errorResult(fmt.Sprintf("Tool %q timed out after %v.", e.tool.Name, d))
	res.refusal = RefusalTimeout
	return res
}
