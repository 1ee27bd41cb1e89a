// Command fastmcp-redis is the benchmark's fastmcp add server as one replica
// of a cluster: the same tool and HTTP transport as servers/fastmcp, with
// Options.Store = redisstore.New on the Redis at -redis-url and Options.Secret
// from -secret, so that several processes of it serve the same sessions. The
// load generator starts two of them on one redis-server of its own and sends
// consecutive requests of one session to different replicas.
//
// With -stats addr it also serves, on that loopback address, the number of
// round trips its Redis client has made so far (GET /redis-round-trips: one
// per command or pipeline sent, counted by a go-redis hook), which the load
// generator reads before and after each measurement.
//
// Its add_task tool is add as a task (fastmcp.TaskRequired), the tasks kept
// by redisstore.NewTaskStore on the same Redis, so that a task created
// through one replica is polled through another. A task runs on the replica
// that created it; with -task-queue it is queued in Redis and run by
// whichever replica's worker claims it (TaskOptions.Queue).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
	"github.com/fastmcp-go/fastmcp/redisstore"
	"github.com/redis/go-redis/v9"
)

// AddArgs are the arguments of the add tool.
type AddArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

// roundTrips counts the client's exchanges with Redis: a command or a
// pipeline is one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

func main() {
	f := benchsrv.Register()
	maxSessions := flag.Int("max-sessions", 0, "HTTP.MaxSessions (0: the library default, 10000)")
	redisURL := flag.String("redis-url", "redis://127.0.0.1:6379", "the shared Redis (redisstore.NewClient)")
	secret := flag.String("secret", "", "Options.Secret, the same on every replica (required)")
	taskQueue := flag.Bool("task-queue", false, "Options.Tasks.Queue: queue tasks in Redis for any replica's workers")
	taskTTL := flag.Duration("task-ttl", 0, "Options.Tasks.TTL: how long a task is kept (0: the library default, 1h)")
	maxTasksPP := flag.Int("max-tasks-per-principal", 0, "redisstore Options.MaxTasksPerPrincipal of the task store (0: the default, 10,000); every bench client is the same anonymous principal")
	stats := flag.String("stats", "", "serve GET /redis-round-trips on this loopback address (e.g. 127.0.0.1:6061)")
	flag.Parse()
	benchsrv.FreeMemoryOnSignal()
	if *secret == "" {
		log.Print("-secret is required: every replica must share it")
		os.Exit(2)
	}

	client, err := redisstore.NewClient(*redisURL)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	rt := &roundTrips{}
	client.AddHook(rt)
	if *stats != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /redis-round-trips", func(w http.ResponseWriter, _ *http.Request) {
			w.Write(strconv.AppendInt(nil, rt.n.Load(), 10))
		})
		go func() {
			if err := http.ListenAndServe(*stats, mux); err != nil {
				log.Printf("stats: %v", err)
			}
		}()
	}

	server := fastmcp.New(fastmcp.Options{
		Name:    "bench-add",
		Version: "1.0.0",
		Secret:  []byte(*secret),
		Store:   redisstore.New(client, redisstore.Options{}),
		Tasks: fastmcp.TaskOptions{
			Store: redisstore.NewTaskStore(client, redisstore.Options{MaxTasksPerPrincipal: *maxTasksPP}),
			Queue: *taskQueue,
			TTL:   *taskTTL,
		},
	})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add_task", Description: "Add two numbers, as a task", Task: fastmcp.TaskRequired},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})

	var t fastmcp.Transport = fastmcp.HTTP{Host: f.Host, Port: f.Port, MaxSessions: *maxSessions}
	if f.Stdio {
		t = fastmcp.Stdio{}
	}
	if err := server.Start(context.Background(), t); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
