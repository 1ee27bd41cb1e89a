package fastmcp_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// A tool that may take minutes runs as a task for clients that declared the
// tasks extension: they get a task id at once and poll tasks/get for the
// result. The handler is an ordinary one: its progress becomes the task's
// status message, and an elicitation puts the task in input_required until
// the client answers with tasks/update.
func ExampleTool_task() {
	server := fastmcp.New(fastmcp.Options{Name: "reports", Tasks: fastmcp.TaskOptions{TTL: 24 * time.Hour}})

	type ReportArgs struct {
		Quarter string `json:"quarter" enum:"Q1,Q2,Q3,Q4"`
	}
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "quarterly_report",
		Description: "Builds the quarterly report (takes several minutes).",
		Task:        fastmcp.TaskRequired,
		Idempotent:  true, // run again if the worker running it dies
	}, func(ctx *fastmcp.Context, args ReportArgs) (string, error) {
		for step := 1; step <= 3; step++ {
			ctx.ReportProgress(fastmcp.Progress{Progress: float64(step), Total: 3, Message: fmt.Sprintf("Step %d of 3", step)})
			select {
			case <-time.After(time.Minute): // the work
			case <-ctx.Done(): // tasks/cancel
				return "", ctx.Err()
			}
		}
		return "The " + args.Quarter + " report is ready.", nil
	})

	if err := server.Start(context.Background(), fastmcp.HTTP{Port: 8080}); err != nil {
		log.Fatal(err)
	}
}
