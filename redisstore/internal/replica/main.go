// Command replica is one replica of a clustered FastMCP server on Redis, for
// the tests of clustered mode (../../replicas_test.go): the tests run several
// of it as separate processes behind a round-robin proxy.
//
// It reads FASTMCP_REDIS_URL (required), FASTMCP_REDIS_PREFIX,
// FASTMCP_SECRET, REPLICA_NAME (reported by the "where" tool) and
// REPLICA_FAST=1 (a replica is found dead within half a second of its death
// instead of ten), and serves as fastmcp.Server.Start does (--transport http
// --port 0 ...). A request's bearer token names its user.
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
