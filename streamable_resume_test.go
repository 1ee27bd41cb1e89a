package fastmcp_test

// Resumability over Streamable HTTP: a client whose SSE stream drops
// reconnects with GET and Last-Event-ID and receives what it missed, once.

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// htResumeFixture is a server whose "resumable" tool reports progress, then
// blocks until released, then answers.
type htResumeFixture struct {
	srv        *fastmcp.Server
	progressed chan struct{}
	release    chan struct{}
	once       sync.Once
	ts         *httptest.Server
	h          *fastmcp.HTTPHandler
	// gets counts GET requests being served by the handler.
	gets atomic.Int32
}

func htNewResumeFixture(t *testing.T, opts fastmcp.HTTP, progressSteps int) *htResumeFixture {
	t.Helper()
	f := &htResumeFixture{srv: htTestServer(t), progressed: make(chan struct{}), release: make(chan struct{})}
	fastmcp.AddTool(f.srv, fastmcp.Tool{Name: "resumable"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		for i := 1; i <= progressSteps; i++ {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(i), Total: float64(progressSteps + 1)}); err != nil {
				return "", err
			}
		}
		close(f.progressed)
		<-f.release
		return "resumed-ok", nil
	})
	f.srv.AddResource(fastmcp.Resource{URI: "test://watched", Name: "watched", Load: fastmcp.StaticText("v")})
	f.h = f.srv.Handler(opts)
	f.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			f.gets.Add(1)
			defer f.gets.Add(-1)
		}
		f.h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.ts.Close)
	t.Cleanup(func() { f.h.Close() })
	t.Cleanup(f.unblock)
	return f
}

func (f *htResumeFixture) unblock() { f.once.Do(func() { close(f.release) }) }

// callResumable POSTs the tool call and reads its SSE answer up to the last
// progress event; it returns the id of that event, the priming event's id
// ("" when there is none) and the open response.
func (f *htResumeFixture) callResumable(t *testing.T, c *htClient, steps int) (id int64, primingID, lastID string, resp *http.Response) {
	t.Helper()
	id, resp = c.request("tools/call", map[string]any{"name": "resumable", "arguments": map[string]any{},
		"_meta": map[string]any{"progressToken": "rt"}})
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("POST: %d %q", resp.StatusCode, ct)
	}
	sr := testkit.NewSSEReader(resp.Body)
	for n := 0; n < steps; {
		ev, err := sr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data == "" {
			if ev.HasID {
				primingID = ev.ID
			}
			continue
		}
		c.received([]byte(ev.Data))
		if m := htDecode(t, []byte(ev.Data)); m.Method != "notifications/progress" {
			t.Fatalf("want progress, got %s", ev.Data)
		}
		lastID = ev.ID
		n++
	}
	return id, primingID, lastID, resp
}

// readAll reads a resumed stream to its end and returns its message events.
func htReadAllEvents(t *testing.T, c *htClient, sr *testkit.SSEReader) []testkit.SSEEvent {
	t.Helper()
	var out []testkit.SSEEvent
	for {
		ev, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != "" {
			c.received([]byte(ev.Data))
			out = append(out, ev)
		}
	}
}

func TestResumePOSTStream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		rev           string
		resumeRunning bool // reconnect before the tool is released
		fromPriming   bool // resume from the priming event instead of the progress event
	}{
		{"finished, 2025-11-25", fastmcp.ProtocolVersion20251125, false, false},
		{"running, 2025-11-25", fastmcp.ProtocolVersion20251125, true, false},
		{"finished, 2025-03-26", fastmcp.ProtocolVersion20250326, false, false},
		{"running, 2025-03-26", fastmcp.ProtocolVersion20250326, true, false},
		{"from the priming event, finished", fastmcp.ProtocolVersion20251125, false, true},
		{"from the priming event, running", fastmcp.ProtocolVersion20251125, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := htNewResumeFixture(t, fastmcp.HTTP{}, 1)
			c := htNewClient(t, htEndpoint(f.ts.URL, fastmcp.HTTP{}), tc.rev)
			c.initialize()
			reqID, primingID, progressID, post := f.callResumable(t, c, 1)
			if progressID == "" {
				t.Fatal("progress event without an id")
			}
			if (primingID != "") != (tc.rev == fastmcp.ProtocolVersion20251125) {
				t.Errorf("priming event id %q in %s", primingID, tc.rev)
			}
			// The connection drops.
			post.Body.Close()
			lastSeen := progressID
			if tc.fromPriming {
				lastSeen = primingID
			}
			var sr *testkit.SSEReader
			if tc.resumeRunning {
				<-f.progressed
				resp, s := c.openGET(map[string]string{"Last-Event-ID": lastSeen})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("resume: %d", resp.StatusCode)
				}
				sr = s
				f.unblock()
			} else {
				f.unblock()
				resp, s := c.openGET(map[string]string{"Last-Event-ID": lastSeen})
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("resume: %d", resp.StatusCode)
				}
				sr = s
			}
			events := htReadAllEvents(t, c, sr)
			var kinds []string
			ids := map[string]bool{lastSeen: true, primingID: true}
			for _, ev := range events {
				m := htDecode(t, []byte(ev.Data))
				switch {
				case m.Method != "":
					kinds = append(kinds, m.Method)
				case string(m.ID) == strconv.FormatInt(reqID, 10):
					text, isErr := testkit.ToolText(t, m.Result)
					if isErr {
						text = "ERROR: " + text
					}
					kinds = append(kinds, "response:"+text)
				default:
					kinds = append(kinds, "other:"+ev.Data)
				}
				if !ev.HasID || ids[ev.ID] {
					t.Errorf("replayed event has a missing or already-seen id: %+v", ev)
				}
				ids[ev.ID] = true
			}
			want := []string{"response:resumed-ok"}
			if tc.fromPriming {
				want = []string{"notifications/progress", "response:resumed-ok"}
			}
			if strings.Join(kinds, ",") != strings.Join(want, ",") {
				t.Errorf("resumed stream delivered %q, want %q", kinds, want)
			}
			// Resuming again from the last id delivers nothing more.
			last := events[len(events)-1].ID
			_, again := c.openGET(map[string]string{"Last-Event-ID": last})
			if extra := htReadAllEvents(t, c, again); len(extra) != 0 {
				t.Errorf("resuming after the last event delivered %d more", len(extra))
			}
		})
	}
}

func TestResumeIsolation(t *testing.T) {
	t.Parallel()
	f := htNewResumeFixture(t, fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}, 1)
	url := htEndpoint(f.ts.URL, fastmcp.HTTP{})
	owner := htNewClient(t, url, "")
	owner.initialize()
	_, primingID, _, post := f.callResumable(t, owner, 1)
	post.Body.Close()
	f.unblock()

	t.Run("another session cannot replay the stream", func(t *testing.T) {
		thief := htNewClient(t, url, "")
		thief.initialize()
		resp, sr := thief.openGET(map[string]string{"Last-Event-ID": primingID})
		if resp.StatusCode == http.StatusOK {
			for _, ev := range htReadAllEvents(t, thief, sr) {
				t.Errorf("another session received %s", ev.Data)
			}
		}
	})
	t.Run("unknown stream", func(t *testing.T) {
		resp, sr := owner.openGET(map[string]string{"Last-Event-ID": "p999_0"})
		if resp.StatusCode == http.StatusOK {
			if evs := htReadAllEvents(t, owner, sr); len(evs) != 0 {
				t.Errorf("an unknown stream replayed %d events", len(evs))
			}
		}
	})
	t.Run("malformed id opens the standalone stream", func(t *testing.T) {
		resp, sr := owner.openGET(map[string]string{"Last-Event-ID": "not-an-event-id"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		htWaitKeepAlive(t, sr)
		resp.Body.Close()
	})
	t.Run("no resumability", func(t *testing.T) {
		opts := fastmcp.HTTP{DisableResumability: true, KeepAliveInterval: 5 * time.Millisecond}
		g := htNewResumeFixture(t, opts, 1)
		c := htNewClient(t, htEndpoint(g.ts.URL, opts), "")
		c.initialize()
		_, priming, progress, post := g.callResumable(t, c, 1)
		if priming != "" || progress != "" {
			t.Errorf("event ids %q %q without resumability", priming, progress)
		}
		post.Body.Close()
		g.unblock()
		// A Last-Event-ID is ignored: the standalone stream opens.
		resp, sr := c.openGET(map[string]string{"Last-Event-ID": "p1_0"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		htWaitKeepAlive(t, sr)
	})
}

func TestResumeExpiredEvents(t *testing.T) {
	t.Parallel()
	store := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxEventsPerStream: 2})
	f := htNewResumeFixture(t, fastmcp.HTTP{EventStore: store}, 4)
	c := htNewClient(t, htEndpoint(f.ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	_, primingID, _, post := f.callResumable(t, c, 4)
	post.Body.Close()
	f.unblock()
	// The events after the priming event are partly gone: the resumed stream
	// ends rather than hanging, and delivers nothing out of order.
	done := make(chan []testkit.SSEEvent, 1)
	go func() {
		_, sr := c.openGET(map[string]string{"Last-Event-ID": primingID})
		done <- htReadAllEvents(t, c, sr)
	}()
	select {
	case evs := <-done:
		t.Logf("resuming past expired events delivered %d events", len(evs))
		for i, ev := range evs {
			if i > 0 && ev.ID <= evs[i-1].ID {
				t.Errorf("events out of order: %v", evs)
			}
		}
	case <-time.After(testkit.Wait):
		t.Fatal("resuming past expired events hung")
	}
}

// htWatch prepares a session whose standalone GET stream receives a
// notifications/resources/updated for each f.srv.ResourceUpdated.
func htWatch(t *testing.T, f *htResumeFixture) *htClient {
	t.Helper()
	c := htNewClient(t, htEndpoint(f.ts.URL, fastmcp.HTTP{}), "")
	c.initialize()
	c.call("resources/subscribe", map[string]any{"uri": "test://watched"})
	return c
}

// htUpdates reads n resources/updated notifications from a GET stream
// (skipping list_changed ones) and returns their events.
func htUpdates(t *testing.T, c *htClient, sr *testkit.SSEReader, n int) []testkit.SSEEvent {
	t.Helper()
	var out []testkit.SSEEvent
	for len(out) < n {
		ev := sr.NextMessage(t)
		c.received([]byte(ev.Data))
		if htDecode(t, []byte(ev.Data)).Method != "notifications/resources/updated" {
			continue
		}
		if !ev.HasID {
			t.Fatalf("GET stream event without an id: %+v", ev)
		}
		out = append(out, ev)
	}
	return out
}

// dropGET closes a GET stream and waits until the handler has let it go.
func (f *htResumeFixture) dropGET(t *testing.T, resp *http.Response) {
	t.Helper()
	resp.Body.Close()
	testkit.Eventually(t, "the server to notice the dropped stream", func() bool { return f.gets.Load() == 0 })
}

func TestResumeGETStream(t *testing.T) {
	t.Parallel()
	f := htNewResumeFixture(t, fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}, 0)
	c := htWatch(t, f)
	resp, sr := c.openGET(nil)
	htWaitKeepAlive(t, sr)
	for range 3 {
		f.srv.ResourceUpdated("test://watched")
	}
	first := htUpdates(t, c, sr, 3)
	// The client processed only the first event when the stream dropped.
	f.dropGET(t, resp)
	resp, sr = c.openGET(map[string]string{"Last-Event-ID": first[0].ID})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reconnect: %d", resp.StatusCode)
	}
	replayed := htUpdates(t, c, sr, 2)
	for i, ev := range replayed {
		if ev.ID != first[i+1].ID || ev.Data != first[i+1].Data {
			t.Errorf("replayed event %d: %+v, want %+v", i, ev, first[i+1])
		}
	}
	// Then the stream is live, with ids that continue.
	htWaitKeepAlive(t, sr)
	f.srv.ResourceUpdated("test://watched")
	live := htUpdates(t, c, sr, 1)[0]
	for _, ev := range first {
		if live.ID == ev.ID {
			t.Errorf("live event reuses id %s", ev.ID)
		}
	}
}

// A notification sent while the client is reconnecting its standalone
// stream should be replayed when it resumes with Last-Event-ID: it is an
// event the client missed (EventStore: "receives the events it missed").
func TestResumeGETStreamNotificationWhileDisconnected(t *testing.T) {
	t.Parallel()
	f := htNewResumeFixture(t, fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}, 0)
	c := htWatch(t, f)
	resp, sr := c.openGET(nil)
	htWaitKeepAlive(t, sr)
	f.srv.ResourceUpdated("test://watched")
	seen := htUpdates(t, c, sr, 1)[0]
	f.dropGET(t, resp)
	f.srv.ResourceUpdated("test://watched") // while disconnected
	_, sr = c.openGET(map[string]string{"Last-Event-ID": seen.ID})
	done := make(chan testkit.SSEEvent, 1)
	go func() {
		for {
			ev, err := sr.Next()
			if err != nil {
				return
			}
			if ev.Data != "" && strings.Contains(ev.Data, "resources/updated") {
				done <- ev
				return
			}
		}
	}()
	select {
	case ev := <-done:
		if ev.ID == seen.ID {
			t.Errorf("the missed notification reuses id %s", ev.ID)
		}
	case <-time.After(time.Second):
		t.Fatal("the notification sent while disconnected was not replayed")
	}
}

// Event ids must be unique across all streams of a session (2025-11-25), so
// that Last-Event-ID names one event: a second standalone GET stream, or one
// resumed past expired events, must not reuse ids.
func TestResumeGETStreamIDsUniqueAcrossStreams(t *testing.T) {
	t.Parallel()
	f := htNewResumeFixture(t, fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond}, 0)
	c := htWatch(t, f)
	ids := map[string]bool{}
	for round := range 2 {
		resp, sr := c.openGET(nil) // a fresh stream, no Last-Event-ID
		htWaitKeepAlive(t, sr)
		f.srv.ResourceUpdated("test://watched")
		ev := htUpdates(t, c, sr, 1)[0]
		if ids[ev.ID] {
			t.Fatalf("round %d: event id %s was already used in this session", round, ev.ID)
		}
		ids[ev.ID] = true
		f.dropGET(t, resp)
	}
	// Resuming past expired events must not reuse ids either.
	store := fastmcp.NewMemoryEventStore(&fastmcp.MemoryEventStoreOptions{MaxEventsPerStream: 2})
	g := htNewResumeFixture(t, fastmcp.HTTP{KeepAliveInterval: 5 * time.Millisecond, EventStore: store}, 0)
	c = htWatch(t, g)
	resp, sr := c.openGET(nil)
	htWaitKeepAlive(t, sr)
	for range 5 {
		g.srv.ResourceUpdated("test://watched")
	}
	evs := htUpdates(t, c, sr, 5)
	g.dropGET(t, resp)
	_, sr = c.openGET(map[string]string{"Last-Event-ID": evs[0].ID})
	htWaitKeepAlive(t, sr)
	g.srv.ResourceUpdated("test://watched")
	for _, ev := range htUpdates(t, c, sr, 1) {
		for _, old := range evs {
			if ev.ID == old.ID {
				t.Fatalf("a live event reuses id %s", ev.ID)
			}
		}
	}
}
