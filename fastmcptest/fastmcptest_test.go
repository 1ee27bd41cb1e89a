package fastmcptest_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
)

type stats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
}

// structuredServer has a tool for each kind of Out type.
func structuredServer(t testing.TB) *fastmcp.Server {
	s := fastmcp.New(fastmcp.Options{Name: "structured", Version: "1", Logger: fastmcptest.Logger(t)})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "stats"}, func(*fastmcp.Context, fastmcp.NoArgs) (stats, error) {
		return stats{Count: 3, Mean: 2}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "pointer"}, func(*fastmcp.Context, fastmcp.NoArgs) (*stats, error) {
		return &stats{Count: 1, Mean: 0.5}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "number"}, func(*fastmcp.Context, fastmcp.NoArgs) (int, error) {
		return 42, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "list"}, func(*fastmcp.Context, fastmcp.NoArgs) ([]string, error) {
		return []string{"a", "b"}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "map"}, func(*fastmcp.Context, fastmcp.NoArgs) (map[string]int, error) {
		return map[string]int{"result": 7}, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "time"}, func(*fastmcp.Context, fastmcp.NoArgs) (time.Time, error) {
		return time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "text"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		return "plain text", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fails"}, func(*fastmcp.Context, fastmcp.NoArgs) (stats, error) {
		return stats{}, fastmcp.NewUserError("no numbers")
	})
	return s
}

func call(t *testing.T, c *fastmcptest.Client, name string) *fastmcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, name, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestStructured decodes each kind of structured result into the handler's
// Out type, in a revision with structuredContent and in one without it.
func TestStructured(t *testing.T) {
	t.Parallel()
	for _, rev := range []string{fastmcp.LatestHandshakeProtocolVersion, fastmcp.ProtocolVersion20250326} {
		t.Run(rev, func(t *testing.T) {
			t.Parallel()
			c := fastmcptest.Connect(t, structuredServer(t), &fastmcptest.Options{ProtocolVersion: rev})
			check := func(name string, got, want any, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %#v, want %#v", name, got, want)
				}
			}
			res := call(t, c, "stats")
			if hasStructured := res.StructuredContent != nil; hasStructured != (rev == fastmcp.LatestHandshakeProtocolVersion) {
				t.Fatalf("structuredContent present: %v in %s", hasStructured, rev)
			}
			st, err := fastmcptest.Structured[stats](res)
			check("stats", st, stats{Count: 3, Mean: 2}, err)
			sp, err := fastmcptest.Structured[*stats](call(t, c, "pointer"))
			check("pointer", sp, &stats{Count: 1, Mean: 0.5}, err)
			n, err := fastmcptest.Structured[int](call(t, c, "number"))
			check("number", n, 42, err)
			l, err := fastmcptest.Structured[[]string](call(t, c, "list"))
			check("list", l, []string{"a", "b"}, err)
			// A map whose only key is "result" is an object: not unwrapped.
			m, err := fastmcptest.Structured[map[string]int](call(t, c, "map"))
			check("map", m, map[string]int{"result": 7}, err)
			tm, err := fastmcptest.Structured[time.Time](call(t, c, "time"))
			check("time", tm, time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC), err)
			// The wrapper itself, for a caller who asks for the object.
			raw, err := fastmcptest.Structured[map[string]any](call(t, c, "number"))
			check("number as an object", raw, map[string]any{"result": 42.0}, err)
		})
	}
}

func TestStructuredErrors(t *testing.T) {
	t.Parallel()
	c := fastmcptest.Connect(t, structuredServer(t), nil)
	cases := []struct {
		name    string
		res     func() *fastmcp.CallToolResult
		decode  func(*fastmcp.CallToolResult) error
		wantErr string
	}{
		{"nil result", func() *fastmcp.CallToolResult { return nil },
			func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[stats](r); return err }, "no tool result"},
		{"error result", func() *fastmcp.CallToolResult { return call(t, c, "fails") },
			func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[stats](r); return err }, "no numbers"},
		{"text result", func() *fastmcp.CallToolResult { return call(t, c, "text") },
			func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[stats](r); return err }, "no structured content: plain text"},
		{"wrong type", func() *fastmcp.CallToolResult { return call(t, c, "stats") },
			func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[[]int](r); return err }, "into []int"},
		{"wrong wrapped type", func() *fastmcp.CallToolResult { return call(t, c, "list") },
			func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[int](r); return err }, "into int"},
		{"two text blocks", func() *fastmcp.CallToolResult {
			return &fastmcp.CallToolResult{Content: []fastmcp.Content{fastmcp.Text("{}"), fastmcp.Text("{}")}}
		}, func(r *fastmcp.CallToolResult) error { _, err := fastmcptest.Structured[stats](r); return err }, "no structured content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(tc.res())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// recordingTB is a testing.TB whose log and cleanups are recorded, so a
// test can end it and go on using what it handed out.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	logs     []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprint(args...))
}

func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// end runs the cleanups, as the testing package does when a test ends.
func (r *recordingTB) end() {
	r.mu.Lock()
	cleanups := r.cleanups
	r.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}

func (r *recordingTB) logged() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

// TestLogger checks that records reach the test log, one line each, from
// debug level up, and that records logged after the test has ended, from
// other goroutines as a server's background work does, are dropped: logging
// to a finished test panics.
func TestLogger(t *testing.T) {
	t.Parallel()
	tb := &recordingTB{TB: t}
	logger := fastmcptest.Logger(tb)
	logger.Debug("during the test", "n", 1)
	logger.WithGroup("g").Warn("again", "k", "v")
	logs := tb.logged()
	if len(logs) != 2 || !strings.Contains(logs[0], `level=DEBUG msg="during the test" n=1`) ||
		!strings.Contains(logs[1], "level=WARN msg=again g.k=v") || strings.HasSuffix(logs[0], "\n") {
		t.Fatalf("logged %q", logs)
	}
	tb.end()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { logger.Info("after the test", "i", i) })
	}
	wg.Wait()
	if got := tb.logged(); len(got) != 2 {
		t.Errorf("records after the test ended reached its log: %q", got[2:])
	}
}

// ExampleStructured calls a tool whose handler returns a struct and decodes
// its structured result into that struct.
func ExampleStructured() {
	type Sum struct {
		Total int `json:"total"`
	}
	s := fastmcp.New(fastmcp.Options{Name: "example", Version: "1"})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sum"}, func(_ *fastmcp.Context, args struct {
		Numbers []int `json:"numbers"`
	}) (Sum, error) {
		var sum Sum
		for _, n := range args.Numbers {
			sum.Total += n
		}
		return sum, nil
	})
	c, err := fastmcptest.Dial(context.Background(), s, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res, err := c.CallTool(context.Background(), "sum", map[string]any{"numbers": []int{1, 2, 3}})
	if err != nil {
		fmt.Println(err)
		return
	}
	sum, err := fastmcptest.Structured[Sum](res)
	fmt.Println(sum.Total, err)
	// Output: 6 <nil>
}
