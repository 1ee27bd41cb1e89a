package proxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	scan "github.com/fastmcp-go/fastmcp/internal/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxResponseBytes bounds one JSON answer of the upstream.
const maxResponseBytes = 64 << 20

// send sends the request of call c on a stdio or legacy SSE session, through
// the Go SDK's client session, and returns the upstream's result as JSON.
// (Over Streamable HTTP the proxy posts the request itself: see post.)
func (p *Proxy) send(ctx context.Context, s *upSession, c *call, r *request, meta mcp.Meta, retry *retryParams) (json.RawMessage, error) {
	var res any
	var err error
	cs := s.cs
	switch r.method {
	case "tools/call":
		params := &mcp.CallToolParams{Meta: meta, Name: r.name, Arguments: r.args}
		if retry != nil {
			params.InputResponses, params.RequestState = retry.responses, retry.state
		}
		res, err = cs.CallTool(ctx, params)
	case "prompts/get":
		params := &mcp.GetPromptParams{Meta: meta, Name: r.name, Arguments: r.pargs}
		if retry != nil {
			params.InputResponses, params.RequestState = retry.responses, retry.state
		}
		res, err = cs.GetPrompt(ctx, params)
	case "resources/read":
		params := &mcp.ReadResourceParams{Meta: meta, URI: r.uri}
		if retry != nil {
			params.InputResponses, params.RequestState = retry.responses, retry.state
		}
		res, err = cs.ReadResource(ctx, params)
	case "completion/complete":
		params := *r.complete
		params.Meta = meta
		res, err = cs.Complete(ctx, &params)
	default:
		return nil, fmt.Errorf("proxy: unsupported method %q", r.method)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// requestBody encodes the JSON-RPC request of r, by hand: this is the path
// of every call.
func requestBody(id string, r *request, meta mcp.Meta, retry *retryParams) ([]byte, error) {
	b := make([]byte, 0, 128+len(r.args))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = appendString(b, id)
	b = append(b, `,"method":`...)
	b = appendString(b, r.method)
	b = append(b, `,"params":{`...)
	sep := false
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	value := func(v any) error {
		switch v := v.(type) {
		case json.RawMessage:
			b = append(b, v...)
		case string:
			b = appendString(b, v)
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = append(b, enc...)
		}
		return nil
	}
	if len(meta) > 0 {
		field("_meta")
		b = append(b, '{')
		first := true
		for k, v := range meta {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			if err := value(v); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	var err error
	switch r.method {
	case "tools/call":
		field("name")
		b = appendString(b, r.name)
		field("arguments")
		b = append(b, r.args...)
	case "prompts/get":
		field("name")
		b = appendString(b, r.name)
		if len(r.pargs) > 0 {
			field("arguments")
			err = value(r.pargs)
		}
	case "resources/read":
		field("uri")
		b = appendString(b, r.uri)
	case "completion/complete":
		field("ref")
		err = value(r.complete.Ref)
		if err == nil {
			field("argument")
			err = value(r.complete.Argument)
		}
		if err == nil && r.complete.Context != nil {
			field("context")
			err = value(r.complete.Context)
		}
	}
	if err != nil {
		return nil, err
	}
	if retry != nil {
		field("inputResponses")
		b = append(b, retry.raw...)
		field("requestState")
		b = appendString(b, retry.state)
	}
	return append(b, "}}"...), nil
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// post sends a request on a Streamable HTTP session as a plain HTTP POST and
// reads the answer itself: a JSON response, or an SSE stream whose progress
// and log notifications and requests for input are the call's, and which it
// resumes (GET with Last-Event-ID) when the upstream closes it before the
// answer. In the handshake era the POST carries the session's id; in
// 2026-07-28 it carries the revision's _meta and the request metadata
// headers (Mcp-Method, Mcp-Name, Mcp-Param-*). Reading the answer directly,
// rather than through the Go SDK's client session, ties what the stream
// carries to the call without guessing (a message on a call's response
// stream is the call's), keeps the notifications before the result they
// precede, and costs a fraction of it.
func (p *Proxy) post(ctx context.Context, s *upSession, c *call, r *request, meta mcp.Meta, retry *retryParams) (json.RawMessage, error) {
	if s.modern {
		meta = p.modernMeta(s, meta)
	}
	body, err := requestBody(c.id, r, meta, retry)
	if err != nil {
		return nil, err
	}
	req, err := s.newRequest(ctx, http.MethodPost, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if s.modern {
		setRequestHeaders(req.Header, r)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, p.postFailed(ctx, s, c, err)
	}
	ar := &answerReader{p: p, s: s, c: c, ctx: ctx, resp: resp}
	return ar.finish()
}

// errDetached is returned by post when the reading of the answer went on on
// a goroutine of its own (see answerReader.message).
var errDetached = errors.New("proxy: the answer is read in the background")

// answerReader reads the answer to a call's POST, and the GETs resuming its
// stream.
type answerReader struct {
	p       *Proxy
	s       *upSession
	c       *call
	ctx     context.Context // the upstream request's
	resp    *http.Response
	br      *bufio.Reader // the SSE stream of resp, once known
	lastID  string
	retry   time.Duration
	attempt int
}

// finish reads the answer to its end: the result, or an error.
func (ar *answerReader) finish() (json.RawMessage, error) {
	for {
		res, err := ar.read()
		if err == nil || errors.Is(err, errDetached) {
			return res, err
		}
		if ar.lastID == "" || ar.ctx.Err() != nil || ar.attempt == 5 {
			return nil, ar.p.postFailed(ar.ctx, ar.s, ar.c, err)
		}
		// The upstream closed the stream before the answer, with events
		// to resume from (SEP-1699): come back for the rest.
		ar.attempt++
		delay := ar.retry
		if delay <= 0 {
			delay = time.Duration(ar.attempt) * 100 * time.Millisecond
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ar.ctx.Done():
			t.Stop()
			return nil, ar.p.postFailed(ar.ctx, ar.s, ar.c, ar.ctx.Err())
		}
		get, err := ar.s.newRequest(ar.ctx, http.MethodGet, nil)
		if err != nil {
			return nil, err
		}
		get.Header.Set("Accept", "text/event-stream")
		get.Header.Set("Last-Event-ID", ar.lastID)
		resp, err := ar.s.hc.Do(get)
		if err != nil {
			return nil, ar.p.postFailed(ar.ctx, ar.s, ar.c, err)
		}
		ar.resp, ar.br = resp, nil
	}
}

// newRequest is an HTTP request of the session: its id and revision set.
func (s *upSession) newRequest(ctx context.Context, method string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.pool.p.opts.Upstream.URL, body)
	if err != nil {
		return nil, err
	}
	// The headers of every request, set directly under their canonical
	// names and sharing one array of values: Header.Set allocates a slice
	// per value, and a name per non-canonical spelling, on every call.
	vals := make([]string, 4)
	vals[0], vals[1], vals[2] = "application/json", "application/json, text/event-stream", s.version
	h := req.Header
	h["Content-Type"], h["Accept"], h["Mcp-Protocol-Version"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
	if id := s.cs.ID(); id != "" {
		vals[3] = id
		h["Mcp-Session-Id"] = vals[3:4:4]
	}
	return req, nil
}

// modernMeta adds the members every 2026-07-28 request carries to meta.
func (p *Proxy) modernMeta(s *upSession, meta mcp.Meta) mcp.Meta {
	if meta == nil {
		meta = mcp.Meta{}
	}
	meta[mcp.MetaKeyProtocolVersion] = s.version
	if _, ok := meta[mcp.MetaKeyClientInfo]; !ok {
		meta[mcp.MetaKeyClientInfo] = p.clientInfo
	}
	if _, ok := meta[mcp.MetaKeyClientCapabilities]; !ok {
		meta[mcp.MetaKeyClientCapabilities] = map[string]any{}
	}
	return meta
}

// postFailed tells the upstream a call ended without its answer (the
// downstream client cancelled it) and returns the error to report.
func (p *Proxy) postFailed(ctx context.Context, s *upSession, c *call, err error) error {
	if ctx.Err() == nil {
		return err
	}
	go func() {
		nctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		id, _ := json.Marshal(c.id)
		body := `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + string(id) + `,"reason":"the client cancelled the request"}}`
		req, rerr := s.newRequest(nctx, http.MethodPost, bytes.NewReader([]byte(body)))
		if rerr != nil {
			return
		}
		if resp, rerr := s.hc.Do(req); rerr == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
		}
	}()
	return ctx.Err()
}

// read reads the current response: its answer, or an error (with, when the
// stream ended before the answer, lastID set to resume from).
func (ar *answerReader) read() (json.RawMessage, error) {
	resp, c := ar.resp, ar.c
	if ar.br == nil {
		switch {
		case resp.StatusCode == http.StatusNotFound:
			io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, fmt.Errorf("proxy: the upstream no longer knows the session: %w", mcp.ErrSessionMissing)
		case resp.StatusCode/100 != 2:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			var msg struct {
				Error *jsonrpc.Error `json:"error"`
			}
			if json.Unmarshal(b, &msg) == nil && msg.Error != nil {
				return nil, msg.Error
			}
			return nil, fmt.Errorf("proxy: the upstream answered HTTP %s: %s", resp.Status, bytes.TrimSpace(b))
		}
		mt := mediaType(resp.Header.Get("Content-Type"))
		if strings.EqualFold(mt, "application/json") {
			b, err := readBody(resp)
			if err != nil {
				return nil, err
			}
			res, _, err := answerOf(b, c.id)
			return res, err
		}
		if !strings.EqualFold(mt, "text/event-stream") {
			resp.Body.Close()
			return nil, fmt.Errorf("proxy: the upstream answered with Content-Type %q", mt)
		}
		ar.br = bufio.NewReader(resp.Body)
	}
	for {
		ev, err := readEvent(ar.br, maxEventSize)
		if ev.id != "" {
			ar.lastID = ev.id
		}
		if ev.retry > 0 {
			ar.retry = ev.retry
		}
		if len(ev.data) > 0 && (ev.name == "" || ev.name == "message") {
			if res, ok, aerr := answerOf(ev.data, c.id); ok {
				resp.Body.Close()
				ar.lastID = ""
				return res, aerr
			}
			if ar.message(ev.data) {
				return nil, errDetached
			}
		}
		if ar.br.Buffered() == 0 {
			// The requests read so far (sent together, such as those of
			// one Ask) go to the client together.
			c.signal()
		}
		if err != nil {
			resp.Body.Close()
			if errors.Is(err, io.EOF) {
				err = errors.New("proxy: the upstream's stream ended before the answer")
			}
			return nil, err
		}
	}
}

// mediaType is the media type of a Content-Type header, without its
// parameters. (mime.ParseMediaType allocates a map of the parameters on
// every answer; the proxy only tells JSON from SSE.)
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}

// readBody reads a JSON answer, of at most maxResponseBytes, and closes
// its body. A Content-Length, which the upstream sends for any answer it
// does not stream, sizes the buffer at once instead of growing it.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if n := resp.ContentLength; n >= 0 && n <= maxResponseBytes {
		// The transport ends the body after n bytes, or fails it when
		// the connection ends sooner.
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
		return nil, fmt.Errorf("proxy: the upstream's answer exceeds %d bytes", maxResponseBytes)
	}
	return b, nil
}

// answerOf reads data as the JSON-RPC response to the request id. ok is
// false when data is another message.
//
// Every message the upstream sends a call comes through here, the answer
// among them, whose result the caller decodes anyway: the top level of the
// message is read by hand (members, ids and method names as they are
// usually written), and encoding/json decodes it only when that reading
// cannot tell (escapes, odd ids, malformed JSON, which it then words).
func answerOf(data []byte, id string) (res json.RawMessage, ok bool, err error) {
	if m, fine := scanMessage(data); fine {
		if len(m.method) > 0 {
			return nil, false, nil
		}
		if len(m.id) > 0 && m.id[0] == '"' && bytes.IndexByte(m.id, '\\') >= 0 {
			return decodeAnswer(data, id) // an id with escapes
		}
		if len(m.id) != len(id)+2 || m.id[0] != '"' || string(m.id[1:len(m.id)-1]) != id {
			return nil, false, nil
		}
		if m.errv != nil && string(m.errv) != "null" {
			var we jsonrpc.Error
			if json.Unmarshal(m.errv, &we) == nil {
				return nil, true, &we
			}
			return decodeAnswer(data, id) // words the error
		}
		if m.result == nil {
			return nil, true, errors.New("proxy: the upstream's response has neither result nor error")
		}
		return m.result, true, nil
	}
	return decodeAnswer(data, id)
}

// decodeAnswer is answerOf through encoding/json.
func decodeAnswer(data []byte, id string) (res json.RawMessage, ok bool, err error) {
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  *jsonrpc.Error  `json:"error"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		return nil, false, fmt.Errorf("proxy: the upstream sent invalid JSON: %w", err)
	}
	if msg.Method != "" {
		return nil, false, nil
	}
	var got string
	if json.Unmarshal(msg.ID, &got) != nil || got != id {
		return nil, false, nil
	}
	if msg.Error != nil {
		return nil, true, msg.Error
	}
	if msg.Result == nil {
		return nil, true, errors.New("proxy: the upstream's response has neither result nor error")
	}
	return msg.Result, true, nil
}

// message handles a message other than the answer on a call's stream: a
// notification (progress and log messages are the call's), or a request for
// input, answered on a goroutine of its own since the upstream waits for the
// answer before it goes on.
//
// While the stream is read by the handler of the downstream request itself
// (c.down set), notifications go to its client at once. A request for input
// hands the rest of the stream to a goroutine, for the handler to ask the
// client (and, for a 2026-07-28 client, to return input_required while the
// upstream call goes on); message then reports true.
func (ar *answerReader) message(data []byte) (detached bool) {
	p, s, c := ar.p, ar.s, ar.c
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if json.Unmarshal(data, &msg) != nil || msg.Method == "" {
		return false
	}
	if msg.ID == nil {
		var ev event
		switch msg.Method {
		case "notifications/progress":
			ev.progress = new(mcp.ProgressNotificationParams)
			if json.Unmarshal(msg.Params, ev.progress) != nil {
				return false
			}
		case "notifications/message":
			ev.log = new(mcp.LoggingMessageParams)
			if json.Unmarshal(msg.Params, ev.log) != nil {
				return false
			}
		default:
			return false
		}
		if c.down != nil {
			relay(c.down, []event{ev})
		} else {
			c.push(ev)
		}
		return false
	}
	var in *input
	var err error
	switch msg.Method {
	case "sampling/createMessage", "elicitation/create", "roots/list":
		var raw any = msg.Params
		if len(msg.Params) == 0 {
			raw = struct{}{}
		}
		var up *upInput
		if up, err = upstreamInput(msg.Method, raw); err == nil {
			in, err = c.add(up)
		}
	case "ping":
	default:
		err = &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "proxy: unsupported method " + msg.Method}
	}
	go p.answerStreamRequest(ar.ctx, s, c, msg.ID, msg.Method, in, err)
	if c.down != nil && in != nil {
		c.down = nil
		go func() {
			res, err := ar.finish()
			c.complete(res, err)
		}()
		return true
	}
	return false
}

// answerStreamRequest waits for the downstream client's answer to a request
// of the upstream for input and posts it back.
func (p *Proxy) answerStreamRequest(ctx context.Context, s *upSession, c *call, id json.RawMessage, method string, in *input, err error) {
	reply := map[string]any{"jsonrpc": "2.0", "id": id}
	if err == nil && in == nil {
		reply["result"] = struct{}{} // ping
	}
	if in != nil && err == nil {
		resp, aerr := c.await(ctx, in)
		if ctx.Err() != nil {
			return // the call was cancelled, which the upstream is told
		}
		if aerr == nil {
			reply["result"] = answerJSON(resp)
		}
		err = aerr
	}
	if err != nil {
		var we *jsonrpc.Error
		if !errors.As(wireError(err), &we) {
			we = &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}
		}
		delete(reply, "result")
		reply["error"] = we
	}
	body, err := json.Marshal(reply)
	if err != nil {
		return
	}
	pctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	req, err := s.newRequest(pctx, http.MethodPost, bytes.NewReader(body))
	if err != nil {
		return
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		p.log.Warn("proxy: answering the upstream's request", "method", method, "err", err)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name, id string
	data     []byte
	retry    time.Duration
}

// readEvent reads the next event of an SSE stream, of at most max bytes.
func readEvent(br *bufio.Reader, max int) (sseEvent, error) {
	var ev sseEvent
	var data [][]byte
	size := 0
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			buf := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull && len(buf) <= max {
				line, err = br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		size += len(line)
		if size > max {
			return ev, fmt.Errorf("proxy: an event of the upstream's stream exceeds %d bytes", max)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if err == nil && (len(data) > 0 || ev.id != "" || ev.retry > 0) {
				ev.data = bytes.Join(data, []byte("\n"))
				return ev, nil
			}
			if err != nil {
				ev.data = bytes.Join(data, []byte("\n"))
				return ev, err
			}
			continue
		}
		if line[0] != ':' {
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "data":
				data = append(data, append([]byte(nil), value...))
			case "id":
				ev.id = string(value)
			case "event":
				ev.name = string(value)
			case "retry":
				if n, perr := strconv.Atoi(string(value)); perr == nil && n >= 0 {
					ev.retry = time.Duration(n) * time.Millisecond
				}
			}
		}
		if err != nil {
			ev.data = bytes.Join(data, []byte("\n"))
			return ev, err
		}
	}
}

// scannedMessage is the top level of a JSON-RPC message: its members'
// JSON text, nil when absent.
type scannedMessage struct {
	id, result, errv []byte
	method           []byte // the name, "" or absent when null
}

// errUnusual stops a walk of internal/jsonrpc's scanner over JSON that is
// valid but not written as the hand reading expects: encoding/json decides.
var errUnusual = errors.New("proxy: JSON to leave to encoding/json")

// scanMessage reads the top level of a JSON-RPC message with the engine's
// validating scanner, without decoding its members' values. fine is false
// when the message is not one valid JSON object, or a member could be read
// otherwise by encoding/json (a key with escapes, or one it would match
// case-insensitively, a method with escapes or that is not a string or
// null): encoding/json must decide then.
func scanMessage(data []byte) (m scannedMessage, fine bool) {
	err := scan.ObjectEachRaw(data, func(key []byte, escaped bool, v []byte) error {
		if escaped {
			return errUnusual
		}
		switch string(key) {
		case "id":
			m.id = v
		case "result":
			m.result = v
		case "error":
			m.errv = v
		case "method":
			switch v[0] {
			case 'n':
				// null leaves encoding/json's string as it was.
			case '"':
				if bytes.IndexByte(v, '\\') >= 0 {
					return errUnusual
				}
				m.method = v[1 : len(v)-1]
			default:
				return errUnusual
			}
		default:
			if foldsToMember(key) {
				return errUnusual
			}
		}
		return nil
	})
	return m, err == nil
}

// foldsToMember reports whether encoding/json could take key, not written
// as such, for a member decodeAnswer reads: it matches names ignoring case,
// Unicode's folds among them (such as "ſ" for "s"), so any non-ASCII key
// counts.
func foldsToMember(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	for _, name := range [...]string{"id", "result", "error", "method"} {
		if len(key) == len(name) && asciiFold(key, name) {
			return true
		}
	}
	return false
}

// asciiFold reports whether key is name (lower case letters) in any case.
func asciiFold(key []byte, name string) bool {
	for i, c := range key {
		if c|0x20 != name[i] {
			return false
		}
	}
	return true
}
