package fastmcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// The methods of the tasks extension (tasks/get, tasks/update, tasks/cancel),
// its wire shapes, the Mcp-Name routing header of its methods, and task
// status notifications on subscriptions/listen streams.

// taskTime is the ISO 8601 form of task timestamps.
const taskTime = "2006-01-02T15:04:05.000Z"

// appendTaskFields appends the members of a Task (without braces): with
// detailed, those of the DetailedTask of tasks/get and notifications/tasks
// (the result, error or input requests of its status).
func appendTaskFields(b []byte, rec *TaskRecord, detailed bool) []byte {
	b = append(b, `"taskId":`...)
	b = jsonrpc.AppendString(b, rec.ID)
	b = append(b, `,"status":`...)
	b = jsonrpc.AppendString(b, string(rec.Status))
	if rec.StatusMessage != "" {
		b = append(b, `,"statusMessage":`...)
		b = jsonrpc.AppendString(b, rec.StatusMessage)
	}
	b = append(b, `,"createdAt":"`...)
	b = rec.CreatedAt.UTC().AppendFormat(b, taskTime)
	b = append(b, `","lastUpdatedAt":"`...)
	b = rec.UpdatedAt.UTC().AppendFormat(b, taskTime)
	b = append(b, `","ttlMs":`...)
	b = strconv.AppendInt(b, max(rec.ExpiresAt.Sub(rec.CreatedAt).Milliseconds(), 1), 10)
	if rec.PollInterval > 0 {
		b = append(b, `,"pollIntervalMs":`...)
		b = strconv.AppendInt(b, max(rec.PollInterval.Milliseconds(), 1), 10)
	}
	if !detailed {
		return b
	}
	switch rec.Status {
	case TaskCompleted:
		b = append(b, `,"result":`...)
		if len(rec.Result) == 0 {
			b = append(b, `{"resultType":"complete","content":[]}`...)
		} else {
			b = append(b, rec.Result...)
		}
	case TaskFailed:
		b = append(b, `,"error":`...)
		if len(rec.Error) == 0 {
			b = append(b, `{"code":-32603,"message":"Internal error"}`...)
		} else {
			b = append(b, rec.Error...)
		}
	case TaskInputRequired:
		b = append(b, `,"inputRequests":{`...)
		keys := make([]string, 0, len(rec.InputRequests))
		for k := range rec.InputRequests {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonrpc.AppendString(b, k)
			b = append(b, ':')
			b = append(b, rec.InputRequests[k]...)
		}
		b = append(b, '}')
	}
	return b
}

// taskParams reads the taskId of a tasks/* request, after checking that the
// client declared the extension.
func taskParams(c *Context, inputs *json.RawMessage) (string, error) {
	r := c.req
	if !declaresTasks(r.clientCaps) {
		return "", tasksCapabilityError(r.Method)
	}
	var id, in []byte
	if len(r.Params) > 0 && string(r.Params) != "null" {
		err := jsonrpc.ObjectEach(r.Params, func(key string, value []byte) error {
			var at *[]byte
			switch key {
			case "taskId":
				at = &id
			case "inputResponses":
				at = &in
			default:
				return nil
			}
			if *at != nil {
				return NewError(CodeInvalidParams, "Invalid params: member %q appears more than once", key)
			}
			*at = value
			return nil
		})
		if e, ok := err.(*Error); ok {
			return "", e
		} else if err != nil {
			return "", NewError(CodeInvalidParams, "Invalid params for %s: params must be an object", r.Method)
		}
	}
	taskID, ok := jsonrpc.UnquoteString(id)
	if !ok {
		return "", NewError(CodeInvalidParams, "Invalid params: %s needs taskId, the id of the task, a string", r.Method)
	}
	if inputs != nil {
		if len(in) == 0 || in[0] != '{' {
			return "", NewError(CodeInvalidParams, "Invalid params: tasks/update needs inputResponses, an object of answers by input request key")
		}
		*inputs = in
	}
	return taskID, nil
}

// taskNotFound refuses a task id the caller may not see: unknown, forged,
// expired, or another principal's, all alike.
func taskNotFound(id string) *Error {
	return NewError(CodeInvalidParams, "Failed to retrieve task: task %q not found (it does not exist, has expired, or is not yours)", id)
}

// lookup returns the task id names, if the caller may see it. A task whose
// worker's lease has lapsed is reaped first, so a client never polls a task
// its dead worker left working.
func (e *taskEngine) lookup(c *Context, id string) (*TaskRecord, error) {
	principal := principalOf(c.Auth())
	if !e.validID(id, principal) {
		return nil, taskNotFound(id)
	}
	rec, err := e.store.Get(c, id)
	if err == nil && rec.Worker != "" && time.Now().After(rec.LeaseExpires) {
		e.reap(c)
		rec, err = e.store.Get(c, id)
	}
	switch {
	case errors.Is(err, ErrTaskNotFound):
		return nil, taskNotFound(id)
	case err != nil:
		return nil, e.storeError(c, err)
	case rec.Principal != principal:
		return nil, taskNotFound(id)
	}
	return rec, nil
}

func (e *taskEngine) storeError(ctx context.Context, err error) *Error {
	e.s.logger.ErrorContext(ctx, "fastmcp: task store", "error", err)
	return NewError(CodeInternalError, "Internal error: the task store failed; try again later")
}

// getTask serves tasks/get.
func (s *Server) getTask(c *Context, _ *Request) (any, error) {
	id, err := taskParams(c, nil)
	if err != nil {
		return nil, err
	}
	rec, err := s.tasks.lookup(c, id)
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, 256+len(rec.Result)+len(rec.Error)), '{')
	b = appendTaskFields(b, rec, true)
	return json.RawMessage(append(b, '}')), nil
}

// maxTaskAnswers bounds the answers a task keeps, in bytes: a client cannot
// make the store hold more for one task.
const maxTaskAnswers = 1 << 20

// inputKinds are the kinds of input requests, by method.
var inputKinds = map[string]string{
	"sampling/createMessage": "sampling",
	"elicitation/create":     "elicitation",
	"roots/list":             "roots",
}

// updateTask serves tasks/update: the client's answers to the input requests
// of a task waiting for input. Answers to keys the task does not wait for are
// ignored; an answer that is not a valid result of its request is refused.
// When every request is answered, the handler runs again.
func (s *Server) updateTask(c *Context, _ *Request) (any, error) {
	var inputs json.RawMessage
	id, err := taskParams(c, &inputs)
	if err != nil {
		return nil, err
	}
	e := s.tasks
	rec, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	if rec.Status != TaskInputRequired {
		return nil, notWaiting(id, rec.Status)
	}
	answers := map[string]json.RawMessage{}
	err = jsonrpc.ObjectEach(inputs, func(key string, value []byte) error {
		req, outstanding := rec.InputRequests[key]
		if !outstanding {
			return nil
		}
		var q struct {
			Method string `json:"method"`
		}
		json.Unmarshal(req, &q)
		if _, err := decodeAnswer(inputKinds[q.Method], value); err != nil {
			return NewError(CodeInvalidParams, "Invalid params: inputResponses[%q] is not a valid %s result: %v", key, q.Method, err)
		}
		answers[key] = bytes.Clone(value)
		return nil
	})
	if err != nil {
		if e, ok := err.(*Error); ok {
			return nil, e
		}
		return nil, NewError(CodeInvalidParams, "Invalid params: inputResponses must be an object")
	}
	if len(answers) == 0 {
		return emptyResult, nil
	}
	size := 0
	for _, v := range rec.Answers {
		size += len(v)
	}
	for _, v := range answers {
		size += len(v)
	}
	if size > maxTaskAnswers {
		return nil, NewError(CodeInvalidParams, "Invalid params: the answers to task %q would take %d bytes; a task keeps at most %d bytes of answers", id, size, maxTaskAnswers)
	}
	worker := e.worker
	if e.queue {
		worker = ""
	}
	rec, resumed, err := e.store.Answer(c, id, answers, worker, e.lease)
	switch {
	case errors.Is(err, ErrTaskNotWaiting):
		cur, gerr := e.store.Get(c, id)
		if gerr != nil {
			return nil, taskNotFound(id)
		}
		return nil, notWaiting(id, cur.Status)
	case errors.Is(err, ErrTaskNotFound):
		return nil, taskNotFound(id)
	case err != nil:
		return nil, e.storeError(c, err)
	}
	if resumed {
		e.changed(rec)
		if rec.Worker == e.worker && worker != "" {
			// The caller is the task's principal: its auth data (as
			// fresh as it gets) goes to the handler.
			e.start(rec, c.Auth(), true)
		}
	}
	return emptyResult, nil
}

func notWaiting(id string, status TaskStatus) *Error {
	return NewError(CodeInvalidParams, "Invalid params: task %q is not waiting for input (its status is %s); tasks/update answers the inputRequests of a task in input_required", id, status)
}

// cancelTask serves tasks/cancel: the task's handler is cancelled (a task
// waiting for input or queued is cancelled at once). The acknowledgement is
// the same for a task that has ended.
func (s *Server) cancelTask(c *Context, _ *Request) (any, error) {
	id, err := taskParams(c, nil)
	if err != nil {
		return nil, err
	}
	e := s.tasks
	prev, err := e.lookup(c, id)
	if err != nil {
		return nil, err
	}
	rec, err := e.store.Cancel(c, id)
	switch {
	case errors.Is(err, ErrTaskNotFound):
		return nil, taskNotFound(id)
	case err != nil:
		return nil, e.storeError(c, err)
	}
	switch {
	case !prev.Status.Terminal() && rec.Status == TaskCancelled:
		e.changed(rec) // no handler ran: cancelled at once
	case !rec.CancelRequested:
	case rec.Worker == e.worker:
		e.cancelLocal(id, errTaskCancelled)
	case rec.Worker != "":
		if bus := e.bus(); bus != nil {
			if err := bus.Publish(c, busTopic("tasks", "cancel"), []byte(id)); err != nil {
				e.s.logger.WarnContext(c, "fastmcp: publishing a task cancellation", "task", id, "error", err)
			}
		}
	}
	return emptyResult, nil
}

// checkTaskName checks the Mcp-Name header of a tasks/* POST against its
// params.taskId (the routing header of the tasks extension). A body without a
// taskId needs no header: the method refuses it.
func checkTaskName(hdr http.Header, r *request) *Error {
	body := ""
	if raw, ok := lookupPath(r.Params, []string{"taskId"}); ok {
		body, _ = jsonrpc.UnquoteString(raw)
	}
	nv := hdr.Values("Mcp-Name")
	if len(nv) == 0 {
		if body == "" {
			return nil
		}
		return headerMismatch("the Mcp-Name header is required for %s: it carries params.taskId", r.Method)
	}
	got, ok := decodeHeaderValue(nv[0])
	if len(nv) > 1 || !ok {
		return headerMismatch("the Mcp-Name header is malformed")
	}
	if got != body {
		return headerMismatch("Mcp-Name header %q does not match the body's taskId %q", got, body)
	}
	return nil
}

// Task status notifications (notifications/tasks) go to the
// subscriptions/listen streams that asked for them by task id. A change made
// on one replica reaches the streams of every replica through the bus
// (Options.Store.Bus); without a bus, the streams of this process.

// maxListenTasks bounds the task ids of one subscriptions/listen request.
const maxListenTasks = 1000

// listenable returns the task ids of a subscriptions/listen request that the
// caller may follow: its own tasks, that exist. Others are left out of the
// acknowledgement, unknown and foreign alike.
func (e *taskEngine) listenable(c *Context, ids []string) ([]string, error) {
	if !declaresTasks(c.req.clientCaps) {
		return nil, tasksCapabilityError("task status notifications (notifications.taskIds)")
	}
	if len(ids) > maxListenTasks {
		return nil, NewError(CodeInvalidParams, "Invalid params: notifications.taskIds names %d tasks; at most %d per subscription", len(ids), maxListenTasks)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		if _, err := e.lookup(c, id); err == nil {
			out = append(out, id)
		} else if ErrorCodeOf(err) == CodeInternalError {
			return nil, err
		}
	}
	return out, nil
}

// follow registers a listener's interest in task notifications, sends it the
// current state of each task, and returns the function that ends it.
func (e *taskEngine) follow(ctx context.Context, l *listener, ids []string) (stop func()) {
	e.mu.Lock()
	e.listening++
	if bus := e.bus(); bus != nil && e.statusSub == nil {
		unsub, err := bus.Subscribe(context.Background(), busTopic("tasks", "status"), e.delivered)
		if err != nil {
			e.s.logger.Warn("fastmcp: subscribing to task notifications", "error", err)
		}
		e.statusSub = unsub
	}
	e.mu.Unlock()
	for _, id := range ids {
		if rec, err := e.store.Get(ctx, id); err == nil {
			l.sendTask(id, rec.UpdatedAt.UnixNano(), appendTaskFields(nil, rec, true))
		}
	}
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.listening--; e.listening == 0 && e.statusSub != nil {
			e.statusSub()
			e.statusSub = nil
		}
	}
}

// changed notifies a task's new state to the streams following it.
func (e *taskEngine) changed(rec *TaskRecord) {
	params := appendTaskFields(nil, rec, true)
	updated := rec.UpdatedAt.UnixNano()
	if bus := e.bus(); bus != nil {
		// Every replica, this one included, delivers it to its streams.
		msg := append([]byte(rec.ID), '\n')
		msg = strconv.AppendInt(msg, updated, 10)
		msg = append(append(msg, '\n'), params...)
		if err := bus.Publish(context.Background(), busTopic("tasks", "status"), msg); err != nil {
			e.s.logger.Warn("fastmcp: publishing a task notification", "task", rec.ID, "error", err)
		}
		return
	}
	e.s.notifyTask(rec.ID, updated, params)
}

// delivered delivers a task notification received from the bus.
func (e *taskEngine) delivered(msg []byte) {
	id, rest, ok1 := bytes.Cut(msg, []byte{'\n'})
	ts, params, ok2 := bytes.Cut(rest, []byte{'\n'})
	updated, err := strconv.ParseInt(string(ts), 10, 64)
	if ok1 && ok2 && err == nil {
		e.s.notifyTask(string(id), updated, params)
	}
}

// notifyTask sends a task notification to the streams of this process that
// follow the task.
func (s *Server) notifyTask(id string, updated int64, params []byte) {
	s.listeners.each(func(l *listener) bool { return l.tasks != nil }, func(l *listener) {
		if err := l.sendTask(id, updated, params); err != nil {
			s.logger.Debug("fastmcp: notification not delivered to a subscription", "method", "notifications/tasks", "error", err)
		}
	})
}

// sendTask sends a task's state (last updated at updated, Unix nanoseconds)
// unless the stream was sent a newer one: the state sent when the stream
// opens and the notifications of changes may race.
func (l *listener) sendTask(id string, updated int64, params []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.tasks[id]; !ok || updated < last {
		return nil
	}
	l.tasks[id] = updated
	return l.sendLocked("notifications/tasks", params)
}

// taskSet returns the tasks a stream follows, each with the time of the last
// state sent (none yet); nil when there are none.
func taskSet(ids []string) map[string]int64 {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[string]int64, len(ids))
	for _, id := range ids {
		m[id] = 0
	}
	return m
}
