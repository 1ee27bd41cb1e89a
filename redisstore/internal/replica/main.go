// Command replica is one replica of a clustered FastMCP server on Redis, for
// the tests of clustered mode (../../replicas_test.go): the tests run several
// of it as separate processes behind a round-robin proxy.
//
// It reads FASTMCP_REDIS_URL (required), FASTMCP_REDIS_PREFIX,
// FASTMCP_SECRET, REPLICA_NAME (reported by the "where" tool) and
// REPLICA_FAST=1 (a replica is found dead within half a second of its death
// instead of ten) and FASTMCP_TASK_LEASE (a duration: tasks are kept in the
// Redis task store and queued for the workers of every replica, which hold
// them for this lease; without it tasks stay in memory), and serves as
// fastmcp.Server.Start does (--transport http --port 0 ...). A request's
// bearer token names its user.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testhooks"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// watchedURI is the resource whose updates the tests watch.
const watchedURI = "test://watched"

type user struct {
	Sub string `json:"sub"`
}

// AuthSubject makes user an Identity: rate limits count per user.
func (u user) AuthSubject() string { return u.Sub }

func main() {
	client, err := redisstore.NewClient(os.Getenv("FASTMCP_REDIS_URL"))
	if err != nil {
		log.Fatalf("FASTMCP_REDIS_URL: %v", err)
	}
	defer client.Close()
	opts := fastmcp.Options{
		Name:   "replica",
		Store:  redisstore.New(client, redisstore.Options{Prefix: os.Getenv("FASTMCP_REDIS_PREFIX")}),
		Secret: []byte(os.Getenv("FASTMCP_SECRET")),
		// The tool "limited" allows each user 5 calls an hour, counted
		// across replicas (the Store's RateLimiter).
		RateLimits: &fastmcp.RateLimits{Tools: map[string]fastmcp.Rate{"limited": {Limit: 5, Per: time.Hour}}},
	}
	if v := os.Getenv("FASTMCP_TASK_LEASE"); v != "" {
		lease, err := time.ParseDuration(v)
		if err != nil {
			log.Fatalf("FASTMCP_TASK_LEASE: %v", err)
		}
		opts.Tasks = fastmcp.TaskOptions{
			Store: redisstore.NewTaskStore(client, redisstore.Options{Prefix: os.Getenv("FASTMCP_REDIS_PREFIX")}),
			Queue: true,
			Lease: lease,
			// Each worker's first Claim is a script run at once: the
			// default 256 workers would queue for NewClient's pool (10
			// connections a CPU, 1 s pool timeout) when the replica
			// starts, and on a busy machine the requests served then
			// would time out waiting for a connection.
			MaxRunning: 16,
		}
	}
	// A request's bearer token names its user; without one it is the
	// user "anonymous".
	opts.Authenticate = fastmcp.AuthFunc[user](func(r *http.Request) (user, error) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if tok == "" {
			tok = "anonymous"
		}
		return user{Sub: tok}, nil
	})
	srv := fastmcp.New(opts)
	if os.Getenv("REPLICA_FAST") == "1" {
		testhooks.ClusterTiming(srv, 100*time.Millisecond, 500*time.Millisecond)
	}
	addTools(srv, os.Getenv("REPLICA_NAME"))
	addTaskTools(srv, client, os.Getenv("FASTMCP_REDIS_PREFIX")+"test:", os.Getenv("REPLICA_NAME"))
	if err := srv.Start(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
}

func addTools(srv *fastmcp.Server, name string) {
	type addArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "add"}, func(ctx *fastmcp.Context, a addArgs) (string, error) {
		return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
	})
	// where tells which replica served the call, and the session as it
	// knows it.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "where"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		s := ctx.Session()
		return fmt.Sprintf("replica=%s level=%s roots=%d ready=%v", name, s.LoggingLevel(), len(s.Roots()), s.IsReady()), nil
	})
	type askArgs struct {
		Prompt string `json:"prompt"`
	}
	// ask samples the client: the call waits for its answer.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "ask"}, func(ctx *fastmcp.Context, a askArgs) (string, error) {
		for k := 1; k <= 2; k++ {
			if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(k), Total: 3}); err != nil {
				return "", err
			}
		}
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{MaxTokens: 10,
			Messages: []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(a.Prompt)}}})
		if err != nil {
			return "", err
		}
		if err := ctx.ReportProgress(fastmcp.Progress{Progress: 3, Total: 3}); err != nil {
			return "", err
		}
		return fmt.Sprintf("replica %s heard: %s", name, res.Content.(*fastmcp.TextContent).Text), nil
	})
	// confirm elicits the client.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "confirm"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Proceed?",
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("replica %s: %s %v", name, res.Action, res.Content["ok"]), nil
	})
	// note sends a message that belongs to no request: it reaches the
	// session's GET stream, wherever it is held.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "note"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "noted", ctx.Session().Log(fastmcp.LevelWarning, "note", "from replica "+name)
	})
	// announce makes a change on this replica: every replica's clients hear of it.
	type announceArgs struct {
		What string `json:"what"`
	}
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "announce"}, func(ctx *fastmcp.Context, a announceArgs) (string, error) {
		switch a.What {
		case "resource":
			srv.ResourceUpdated(watchedURI)
		case "tools":
			srv.ToolsListChanged()
		default:
			return "", fmt.Errorf("announce what? %q", a.What)
		}
		return "announced by " + name, nil
	})
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "limited"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "allowed by " + name, nil
	})
	srv.AddResource(fastmcp.Resource{URI: watchedURI, Name: "watched", Load: fastmcp.StaticText("v")})
}

// addTaskTools adds the tools that run as tasks. They talk to the tests
// through Redis keys under side (the test's prefix and "test:"): a task
// waits for side+"release:"+id to exist, and a handler whose context ended
// writes why to side+"ended:"+id, since a test cannot reach into the
// process running it.
func addTaskTools(srv *fastmcp.Server, rdb redis.UniversalClient, side, name string) {
	// hold reports msg as its progress (the task's status message), then
	// waits until it is released or its context ends.
	hold := func(ctx *fastmcp.Context, msg string) (string, error) {
		if err := ctx.ReportProgress(fastmcp.Progress{Progress: 1, Total: 2, Message: msg}); err != nil {
			return "", err
		}
		id := ctx.TaskID()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				rdb.Set(context.WithoutCancel(ctx), side+"ended:"+id, fmt.Sprintf("%s: %v", name, context.Cause(ctx)), time.Hour)
				return "", ctx.Err()
			case <-tick.C:
				if n, err := rdb.Exists(ctx, side+"release:"+id).Result(); err == nil && n == 1 {
					return "released on " + name, nil
				}
			}
		}
	}
	// job runs only as a task, and holds until released or cancelled; its
	// status message names the replica running it.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "job", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return hold(ctx, "working on "+name)
	})
	// rejob is job declared idempotent: run again when its worker dies.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "rejob", Task: fastmcp.TaskRequired, Idempotent: true}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return hold(ctx, "working on "+name)
	})
	// steps asks the client whether to proceed, then holds as job does.
	fastmcp.AddTool(srv, fastmcp.Tool{Name: "steps", Task: fastmcp.TaskRequired}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Proceed?",
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}})
		if err != nil {
			return "", err
		}
		out, err := hold(ctx, fmt.Sprintf("step 2 on %s: %s %v", name, res.Action, res.Content["ok"]))
		return fmt.Sprintf("%s after %s %v", out, res.Action, res.Content["ok"]), err
	})
}
