package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// protocolVersion is the revision the load generator asks for; all three
// servers accept it.
const protocolVersion = "2025-11-25"

// modernVersion is the revision of the sessionless calls (-phases modern).
const modernVersion = "2026-07-28"

// newTransport returns a keep-alive HTTP/1.1 transport that keeps up to conns
// idle connections to the server, so every worker holds its own connection;
// nil when cfg asks for the raw client.
func newTransport(cfg *Config, conns int) *http.Transport {
	if cfg.Client == "raw" {
		return nil
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          0, // no global limit
		MaxIdleConnsPerHost:   conns + 8,
		IdleConnTimeout:       5 * time.Minute,
		DisableCompression:    true,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     false,
		WriteBufferSize:       4 << 10,
		ReadBufferSize:        8 << 10,
	}
}

var (
	initializeBody = []byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + protocolVersion +
		`","capabilities":{},"clientInfo":{"name":"fastmcp-bench","version":"1.0.0"}}}`)
	initializedBody = []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	callPrefix      = []byte(`{"jsonrpc":"2.0","id":`)
	callMiddle      = []byte(`,"method":"tools/call","params":{"name":"add","arguments":{"a":`)
	callB           = []byte(`,"b":`)
	callSuffix      = []byte(`}}}`)

	// A 2026-07-28 call: no session; the revision, the client's capabilities
	// and its name travel in params._meta of every request, and the method
	// and tool name in headers as well.
	modernSuffix = []byte(`},"_meta":{"io.modelcontextprotocol/protocolVersion":"` + modernVersion +
		`","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"fastmcp-bench","version":"1.0.0"}}}}`)

	resultNeedle  = []byte(`"result"`)
	isErrorNeedle = []byte(`"isError":true`)
)

// textNeedles[s] is `"text":"s"`, the expected content of add's answer.
var textNeedles = func() [][]byte {
	t := make([][]byte, 2*maxOperand+1)
	for i := range t {
		t[i] = []byte(`"text":"` + strconv.Itoa(i) + `"`)
	}
	return t
}()

// maxOperand bounds the operands of the calls (a, b in [0, maxOperand]).
const maxOperand = 100

// session is one MCP session as the server sees it.
type session struct {
	id      string // Mcp-Session-Id
	version string // negotiated protocol revision
	nextID  int64
}

// worker issues requests one at a time over its own keep-alive connection,
// reusing its request, headers and buffers: the steady state allocates only
// what net/http itself allocates per round trip.
//
// With several server URLs (replicas of one server), the worker sends each
// request to the next one in turn, so that consecutive requests of a session
// land on different replicas, as behind a round-robin balancer without
// affinity. It keeps one connection per replica.
type worker struct {
	tr   *http.Transport // the net/http client, or
	raws []*rawConn      // the raw HTTP/1.1 client, one per URL
	us   []*url.URL
	next int    // index in us of the next request's server
	path string // the path of the requests; "" for each URL's own
	req  http.Request

	hdrInit   http.Header // initialize: no session headers
	hdrSess   http.Header // requests of a session
	hdrDelete http.Header // DELETE
	hdrModern http.Header // sessionless 2026-07-28 calls
	sid, ver  []string    // the session header slots, shared by hdrSess and hdrDelete

	body   []byte
	resp   bytes.Buffer
	idBuf  []byte
	status int
	ctype  string
	rsid   string
}

// workerSeq staggers the replica each new worker starts with.
var workerSeq atomic.Int64

// newWorker returns a worker of the servers at us (one URL, or one per
// replica), using the raw client when tr is nil.
func newWorker(tr *http.Transport, us ...*url.URL) *worker {
	u := us[0]
	w := &worker{tr: tr, us: us, sid: []string{""}, ver: []string{""}}
	w.next = int(workerSeq.Add(1) % int64(len(us)))
	if tr == nil {
		for _, u := range us {
			w.raws = append(w.raws, newRawConn(u.Host))
		}
	}
	w.hdrInit = http.Header{
		"Content-Type": {"application/json"},
		"Accept":       {"application/json, text/event-stream"},
	}
	w.hdrSess = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Session-Id":       w.sid,
		"Mcp-Protocol-Version": w.ver,
	}
	w.hdrModern = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {modernVersion},
		"Mcp-Method":           {"tools/call"},
		"Mcp-Name":             {"add"},
	}
	w.hdrDelete = http.Header{
		"Mcp-Session-Id":       w.sid,
		"Mcp-Protocol-Version": w.ver,
	}
	w.req = http.Request{URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: u.Host}
	w.body = make([]byte, 0, 256)
	w.resp.Grow(4 << 10)
	return w
}

// bodyReader is a request body; the pointer is new per request so that
// net/http never sees a reader that is reset under it.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// do sends one request and reads the whole answer into w.resp.
func (w *worker) do(method string, hdr http.Header, body []byte) error {
	i := w.next
	w.next = (w.next + 1) % len(w.us)
	u := w.us[i]
	if w.path != "" {
		c := *u
		c.Path = w.path
		u = &c
	}
	if w.raws != nil {
		return w.raws[i].do(w, method, u.Path, hdr, body)
	}
	w.req.URL, w.req.Host = u, u.Host
	w.req.Method = method
	w.req.Header = hdr
	if body != nil {
		br := &bodyReader{}
		br.Reset(body)
		w.req.Body = br
		w.req.ContentLength = int64(len(body))
	} else {
		w.req.Body = nil
		w.req.ContentLength = 0
	}
	resp, err := w.tr.RoundTrip(&w.req)
	if err != nil {
		return err
	}
	w.resp.Reset()
	_, err = w.resp.ReadFrom(resp.Body)
	resp.Body.Close()
	w.status = resp.StatusCode
	w.ctype = resp.Header.Get("Content-Type")
	w.rsid = resp.Header.Get("Mcp-Session-Id")
	return err
}

// close closes the worker's connections.
func (w *worker) close() {
	if w.raws != nil {
		for _, rc := range w.raws {
			rc.close()
		}
	} else if w.tr != nil {
		w.tr.CloseIdleConnections()
	}
}

func (w *worker) use(s *session) {
	w.sid[0] = s.id
	w.ver[0] = s.version
}

// initialize opens a session: initialize, then notifications/initialized.
func (w *worker) initialize() (*session, error) {
	if err := w.do(http.MethodPost, w.hdrInit, initializeBody); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if w.status != http.StatusOK {
		return nil, fmt.Errorf("initialize: HTTP %d: %s", w.status, snippet(w.resp.Bytes()))
	}
	if w.rsid == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id in the answer")
	}
	data, err := responseData(w.ctype, w.resp.Bytes(), []byte(`"id":0`))
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	var m struct {
		Result *struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
		Error *rpcError `json:"error"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("initialize: %v: %s", err, snippet(data))
	}
	if m.Error != nil {
		return nil, fmt.Errorf("initialize: %v", m.Error)
	}
	if m.Result == nil || m.Result.ProtocolVersion == "" {
		return nil, fmt.Errorf("initialize: no protocolVersion: %s", snippet(data))
	}
	s := &session{id: w.rsid, version: m.Result.ProtocolVersion, nextID: 1}
	w.use(s)
	if err := w.do(http.MethodPost, w.hdrSess, initializedBody); err != nil {
		return nil, fmt.Errorf("notifications/initialized: %w", err)
	}
	if w.status/100 != 2 {
		return nil, fmt.Errorf("notifications/initialized: HTTP %d: %s", w.status, snippet(w.resp.Bytes()))
	}
	return s, nil
}

// call calls add(a, b) on s and checks the answer.
func (w *worker) call(s *session, a, b int) error {
	w.use(s)
	id := s.nextID
	s.nextID++
	w.body = appendCallBody(w.body[:0], id, a, b)
	return w.callWith(w.hdrSess, id, a+b)
}

// callModern calls add(a, b) as a sessionless 2026-07-28 request (s only
// numbers the requests) and checks the answer.
func (w *worker) callModern(s *session, a, b int) error {
	id := s.nextID
	s.nextID++
	body := appendCallBody(w.body[:0], id, a, b)
	body = append(body[:len(body)-len(callSuffix)], modernSuffix...)
	w.body = body
	return w.callWith(w.hdrModern, id, a+b)
}

// callWith posts w.body, the call with the given id, and checks that the
// answer carries the sum.
func (w *worker) callWith(hdr http.Header, id int64, sum int) error {
	if err := w.do(http.MethodPost, hdr, w.body); err != nil {
		return fmt.Errorf("tools/call: %w", err)
	}
	if w.status != http.StatusOK {
		return fmt.Errorf("tools/call: HTTP %d: %s", w.status, snippet(w.resp.Bytes()))
	}
	idn := append(w.idBuf[:0], `"id":`...)
	idn = strconv.AppendInt(idn, id, 10)
	w.idBuf = idn
	data, err := responseData(w.ctype, w.resp.Bytes(), idn)
	if err != nil {
		return fmt.Errorf("tools/call: %w", err)
	}
	// Fast path: the answer has our id, a result, the right text and no
	// isError. Anything else is decoded properly to say what is wrong.
	if containsID(data, idn) && bytes.Contains(data, resultNeedle) &&
		bytes.Contains(data, textNeedles[sum]) && !bytes.Contains(data, isErrorNeedle) {
		return nil
	}
	return checkCallSlow(data, id, sum)
}

// appendCallBody appends the tools/call request of add(a, b) with the given
// id, in the handshake era.
func appendCallBody(body []byte, id int64, a, b int) []byte {
	body = append(body, callPrefix...)
	body = strconv.AppendInt(body, id, 10)
	body = append(body, callMiddle...)
	body = strconv.AppendInt(body, int64(a), 10)
	body = append(body, callB...)
	body = strconv.AppendInt(body, int64(b), 10)
	return append(body, callSuffix...)
}

// delete ends s with DELETE.
func (w *worker) delete(s *session) error {
	w.use(s)
	if err := w.do(http.MethodDelete, w.hdrDelete, nil); err != nil {
		return fmt.Errorf("DELETE: %w", err)
	}
	if w.status/100 != 2 {
		return fmt.Errorf("DELETE: HTTP %d: %s", w.status, snippet(w.resp.Bytes()))
	}
	return nil
}

// get sends a GET to path on the server (used to open connections).
func (w *worker) get(path string) error {
	w.path = path
	err := w.do(http.MethodGet, http.Header{}, nil)
	w.path = ""
	return err
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

func checkCallSlow(data []byte, id int64, want int) error {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Result *struct {
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			IsError bool `json:"isError"`
		} `json:"result"`
		Error *rpcError `json:"error"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("tools/call: bad JSON: %v: %s", err, snippet(data))
	}
	if m.Error != nil {
		return fmt.Errorf("tools/call: %v", m.Error)
	}
	if string(m.ID) != strconv.FormatInt(id, 10) {
		return fmt.Errorf("tools/call: answer has id %s, want %d", m.ID, id)
	}
	if m.Result == nil {
		return fmt.Errorf("tools/call: no result: %s", snippet(data))
	}
	if m.Result.IsError || len(m.Result.Content) != 1 || m.Result.Content[0].Text != strconv.Itoa(want) {
		return fmt.Errorf("tools/call: unexpected result (want text %d): %s", want, snippet(data))
	}
	return nil
}

// containsID reports whether data has idn (`"id":N`) followed by a delimiter.
func containsID(data, idn []byte) bool {
	for {
		i := bytes.Index(data, idn)
		if i < 0 {
			return false
		}
		j := i + len(idn)
		if j == len(data) || data[j] == ',' || data[j] == '}' || data[j] == ' ' {
			return true
		}
		data = data[j:]
	}
}

// responseData returns the JSON-RPC response in an answer: the body itself
// for application/json, or the data of the SSE event carrying the response
// with the given id for text/event-stream.
func responseData(ctype string, body []byte, idn []byte) ([]byte, error) {
	switch {
	case strings.HasPrefix(ctype, "application/json"):
		return body, nil
	case strings.HasPrefix(ctype, "text/event-stream"):
		var data []byte
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line, body = body[:i], body[i+1:]
			} else {
				body = nil
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) == 0 { // end of event
				if containsID(data, idn) && (bytes.Contains(data, resultNeedle) || bytes.Contains(data, []byte(`"error"`))) {
					return data, nil
				}
				data = data[:0]
				continue
			}
			if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				d = bytes.TrimPrefix(d, []byte{' '})
				if len(data) > 0 {
					data = append(data, '\n')
				}
				data = append(data, d...)
			}
		}
		if containsID(data, idn) {
			return data, nil
		}
		return nil, errors.New("SSE answer without the response")
	default:
		return nil, fmt.Errorf("unexpected Content-Type %q: %s", ctype, snippet(body))
	}
}

func snippet(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
