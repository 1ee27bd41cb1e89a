// Command fastmcp is the benchmark's add server written with FastMCP for Go:
// Streamable HTTP, stateful, on 127.0.0.1:-port at /mcp; with -stdio, one
// client over standard input and output (fastmcp.Stdio at its defaults).
//
// Everything is left at its default (DNS-rebinding protection, CORS, the
// idle-session reaper, the in-memory event store, the legacy SSE endpoints)
// except MaxSessions, which -max-sessions raises so that the server holds as
// many sessions as the peers, which have no cap. Plain calls are answered with
// application/json by default (the answer switches to SSE only when a handler
// sends a message before its result, which add never does); -json-response
// forces JSON for every answer.
//
// It also serves add_task, add as a task of the tasks extension
// (fastmcp.TaskRequired), for the load generator's tasks phase (tasks.go).
package main

import (
	"context"
	"log"
	"net/http"
	_ "net/http/pprof" // served only with -pprof, on its own loopback port
	"os"
	"runtime"
	"strconv"

	"flag"
	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/bench/internal/benchsrv"
)

// AddArgs are the arguments of the add tool.
type AddArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

// withTasks and addTaskTool, set by tasks.go, configure the tasks extension
// and add add_task. They are hooks, not calls, because a fastmcp@<rev> build
// copies only this file over an older bench/ whose library may predate
// tasks: there they stay nil and the server is the plain add server.
var (
	withTasks   func(*fastmcp.Options)
	addTaskTool func(*fastmcp.Server)
)

func main() {
	f := benchsrv.Register()
	maxSessions := flag.Int("max-sessions", 0, "HTTP.MaxSessions (0: the library default, 10000)")
	jsonResponse := flag.Bool("json-response", false, "HTTP.JSONResponse: never answer with SSE")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6060)")
	flag.Parse()
	benchsrv.FreeMemoryOnSignal()

	if *pprofAddr != "" {
		runtime.SetMutexProfileFraction(0)
		go func() {
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil { // DefaultServeMux: pprof only
				log.Printf("pprof: %v", err)
			}
		}()
	}

	opts := fastmcp.Options{Name: "bench-add", Version: "1.0.0"}
	if withTasks != nil {
		withTasks(&opts)
	}
	server := fastmcp.New(opts)
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	if addTaskTool != nil {
		addTaskTool(server)
	}

	var t fastmcp.Transport = fastmcp.HTTP{
		Host:         f.Host,
		Port:         f.Port,
		MaxSessions:  *maxSessions,
		JSONResponse: *jsonResponse,
	}
	if f.Stdio {
		t = fastmcp.Stdio{}
	}
	err := server.Start(context.Background(), t)
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
