package main

import (
	"flag"
	"strconv"

	"github.com/fastmcp-go/fastmcp"
)

// The tasks phase of the load generator: add_task is add as a task. A
// 2026-07-28 client that declared the tasks extension gets a task id at once
// and polls tasks/get for the sum. The tasks live in a memory store, kept
// -task-ttl after they end.

func init() {
	taskTTL := flag.Duration("task-ttl", 0, "Options.Tasks.TTL: how long a task is kept (0: the library default, 1h)")
	maxTasksPP := flag.Int("max-tasks-per-principal", 0, "MemoryTaskStoreOptions.MaxTasksPerPrincipal (0: the library default, 10,000); every bench client is the same anonymous principal")
	withTasks = func(o *fastmcp.Options) {
		o.Tasks = fastmcp.TaskOptions{
			Store: fastmcp.NewMemoryTaskStore(fastmcp.MemoryTaskStoreOptions{MaxTasksPerPrincipal: *maxTasksPP}),
			TTL:   *taskTTL,
		}
	}
	addTaskTool = func(s *fastmcp.Server) {
		fastmcp.AddTool(s, fastmcp.Tool{Name: "add_task", Description: "Add two numbers, as a task", Task: fastmcp.TaskRequired},
			func(ctx *fastmcp.Context, args AddArgs) (string, error) {
				return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
			})
	}
}
