package main

import (
	"fmt"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// addTaskFixtures registers the fixtures of the tasks extension's conformance
// scenarios (io.modelcontextprotocol/tasks). A tool says whether it runs as a
// task in Tool.Task; its handler is an ordinary one: progress becomes the
// task's status message, an elicitation puts the task in input_required until
// the client answers with tasks/update, and cancelling the task cancels the
// handler's context.
func addTaskFixtures(server *fastmcp.Server) {
	// A plain tool: never a task.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "greet",
		Description: "Greets someone, at once (never runs as a task).",
	}, func(ctx *fastmcp.Context, args greetArgs) (string, error) {
		return "Hello, " + args.Name + "!", nil
	})

	// A task for clients that declared the extension, a plain call for
	// others. It honours cancellation through its context.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "slow_compute",
		Description: "Works for the given number of seconds, reporting progress, then returns.",
		Task:        fastmcp.TaskOptional,
	}, func(ctx *fastmcp.Context, args slowArgs) (string, error) {
		for i := range args.Seconds {
			ctx.ReportProgress(fastmcp.Progress{Progress: float64(i), Total: float64(args.Seconds),
				Message: fmt.Sprintf("Computing %s: %d of %d seconds", args.Label, i, args.Seconds)})
			if err := pause(ctx, time.Second); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("Computed %s in %d seconds", args.Label, args.Seconds), nil
	})

	// Runs only as a task: a client that did not declare the extension gets
	// MissingRequiredClientCapability (-32021). The tool error it returns
	// ends the task completed, with isError.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "failing_job",
		Description: "A job that runs only as a task and always fails (a tool error) after a second.",
		Task:        fastmcp.TaskRequired,
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		if err := pause(ctx, time.Second); err != nil {
			return "", err
		}
		return "", fastmcp.UserErrorf("the job failed: the input data is invalid")
	})

	// A panic in a task is a protocol error: the task ends failed, with the
	// JSON-RPC error inlined.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "protocol_error_job",
		Description: "A job that panics: its task ends failed with an internal error.",
		Task:        fastmcp.TaskOptional,
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		panic("protocol_error_job always panics")
	})

	// Asks the user to confirm: the task waits in input_required.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "confirm_delete",
		Description: "Asks the user to confirm deleting a file, then reports what happened.",
		Task:        fastmcp.TaskOptional,
	}, func(ctx *fastmcp.Context, args deleteArgs) (string, error) {
		res, err := fastmcp.ElicitForm[confirmDelete](ctx, "Delete "+args.Filename+"?")
		if err != nil {
			return "", err
		}
		if res.Action != fastmcp.ElicitAccept || !res.Content.Confirm {
			return "Kept " + args.Filename, nil
		}
		return "Deleted " + args.Filename, nil
	})

	// Two questions at once: both wait in inputRequests, and the client may
	// answer them one at a time.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "multi_input",
		Description: "Asks two questions at once, then reports both answers.",
		Task:        fastmcp.TaskOptional,
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Ask(
			fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema}),
			fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "Proceed?", RequestedSchema: confirmSchema}),
		)
		if err != nil {
			return "", err
		}
		first, _ := res[0].Elicitation()
		second, _ := res[1].Elicitation()
		return fmt.Sprintf("Answers: %v and %v", first.Content, second.Content), nil
	})

	// Gathers the user's name through multi round-trip requests before the
	// task exists, then continues as a task (TaskDeferred and StartTask).
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:         "test_tool_with_task",
		Description:  "Asks the user's name, then greets them from a task.",
		Task:         fastmcp.TaskRequired,
		TaskDeferred: true,
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Ask(fastmcp.ElicitationRequest(&fastmcp.ElicitParams{
			Message:         "What is your name?",
			RequestedSchema: nameSchema,
		}).WithKey("user_name"))
		if err != nil {
			return "", err
		}
		if err := ctx.StartTask(); err != nil {
			return "", err
		}
		answer, err := res[0].Elicitation()
		if err != nil {
			return "", err
		}
		if err := pause(ctx, 100*time.Millisecond); err != nil {
			return "", err
		}
		return fmt.Sprintf("Hello, %v, from task %s!", answer.Content["name"], ctx.TaskID()), nil
	})
}

type greetArgs struct {
	Name string `json:"name" description:"Who to greet"`
}

type slowArgs struct {
	Seconds int    `json:"seconds" minimum:"0" maximum:"3600" description:"How long to work, in seconds"`
	Label   string `json:"label,omitempty" description:"A name for the computation"`
}

type deleteArgs struct {
	Filename string `json:"filename" description:"The file to delete"`
}

// confirmDelete is the form confirm_delete shows.
type confirmDelete struct {
	Confirm bool `json:"confirm" description:"Delete the file"`
}

// confirmSchema is a form with one checkbox.
var confirmSchema = map[string]any{
	"type":       "object",
	"properties": map[string]any{"confirm": map[string]any{"type": "boolean"}},
}
