package fastmcp

import (
	"errors"
	"sync"
)

// outQueue holds the messages waiting to go out on one long-lived stream (an
// SSE stream, a subscription, a stdio session's own channel). Senders never
// write to the client: they enqueue, and the goroutine that already holds the
// stream open (its drainer) writes what waits, so a broadcast never waits on a
// client. The queue is bounded: a client that reads slower than the server
// sends overflows it, the queue closes, and its owner ends the stream.
type outQueue struct {
	mu     sync.Mutex
	msgs   [][]byte
	spare  [][]byte // the drainer's previous batch, reused
	size   int      // bytes in msgs
	max    int      // bound of size; one message is always admitted
	closed bool
	// wake has a token while msgs is not empty.
	wake chan struct{}
	// room, when not nil, is closed by the next take: senders waiting for
	// room (pushWait) wait on it.
	room chan struct{}
	// done is closed when the queue closes: it overflowed, or its stream
	// ended.
	done chan struct{}
}

// errStreamStalled refuses a message for a stream whose client stopped
// reading: its queue overflowed, and the stream was ended.
var errStreamStalled = errors.New("fastmcp: the client does not read its stream fast enough; the stream was ended")

// errStreamEnded refuses a message for a stream that has ended.
var errStreamEnded = errors.New("fastmcp: the stream has ended")

func newOutQueue(max int) *outQueue {
	return &outQueue{max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// push enqueues msg, which the queue keeps (the caller must not change it).
// It fails with errStreamStalled when msg would take the queue beyond its
// bound: the queue is then closed, and its owner must end the stream (this
// error is returned once). It fails with errStreamEnded once the queue is
// closed.
func (q *outQueue) push(msg []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errStreamEnded
	}
	if len(q.msgs) > 0 && q.size+len(msg) > q.max {
		q.closeLocked()
		return errStreamStalled
	}
	q.msgs = append(q.msgs, msg)
	q.size += len(msg)
	if len(q.msgs) == 1 {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// pushWait enqueues msg as push does, except that when msg would take the
// queue beyond its bound it waits for the drainer to take what waits rather
// than failing: for a request's own messages, whose sender may be held back
// by its own client (a handler logging faster than its client reads). The
// drainer's writes have a deadline, and a stream that stalls is closed, which
// ends the wait with errStreamEnded.
func (q *outQueue) pushWait(msg []byte) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errStreamEnded
		}
		if len(q.msgs) == 0 || q.size+len(msg) <= q.max {
			q.msgs = append(q.msgs, msg)
			q.size += len(msg)
			if len(q.msgs) == 1 {
				select {
				case q.wake <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return nil
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
		case <-q.done:
		}
	}
}

// take returns the messages waiting, oldest first, and empties the queue. The
// slice is valid until the next take.
func (q *outQueue) take() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	msgs := q.msgs
	clear(q.spare)
	q.msgs, q.spare, q.size = q.spare[:0], msgs, 0
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	if cap(q.msgs) > 1024 {
		q.msgs = nil // a burst is over: do not keep its backlog's array
	}
	return msgs
}

// close closes the queue: later pushes fail, and done is closed. Messages
// still waiting stay for take: the drainer decides whether to write them.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closeLocked()
	q.mu.Unlock()
}

func (q *outQueue) closeLocked() {
	if q.closed {
		return
	}
	q.closed = true
	close(q.done)
}
