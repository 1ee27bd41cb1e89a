package fastmcp

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
)

func TestOutQueue(t *testing.T) {
	t.Parallel()
	q := newOutQueue(10)
	// One message is always admitted, whatever its size.
	if err := q.push(bytes.Repeat([]byte("x"), 64)); err != nil {
		t.Fatalf("a large first message: %v", err)
	}
	select {
	case <-q.wake:
	default:
		t.Fatal("no wake-up for the first message")
	}
	if got := q.take(); len(got) != 1 || len(got[0]) != 64 {
		t.Fatalf("take = %q", got)
	}
	for _, m := range []string{"ab", "cd", "ef"} {
		if err := q.push([]byte(m)); err != nil {
			t.Fatalf("push %s: %v", m, err)
		}
	}
	if got := q.take(); len(got) != 3 || string(got[0]) != "ab" || string(got[2]) != "ef" {
		t.Fatalf("take = %q, want the messages in order", got)
	}
	if got := q.take(); len(got) != 0 {
		t.Fatalf("take of an empty queue = %q", got)
	}
	// Beyond the bound the queue overflows once, and closes.
	for _, m := range []string{"12345", "67890"} {
		if err := q.push([]byte(m)); err != nil {
			t.Fatalf("push %s: %v", m, err)
		}
	}
	if err := q.push([]byte("!")); !errors.Is(err, errStreamStalled) {
		t.Fatalf("push beyond the bound: %v, want errStreamStalled", err)
	}
	select {
	case <-q.done:
	default:
		t.Fatal("an overflowing queue did not close")
	}
	if err := q.push([]byte("!")); !errors.Is(err, errStreamEnded) {
		t.Fatalf("push to a closed queue: %v, want errStreamEnded", err)
	}
	q2 := newOutQueue(10)
	q2.close()
	q2.close()
	if err := q2.push([]byte("a")); !errors.Is(err, errStreamEnded) {
		t.Fatalf("push after close: %v", err)
	}
}

// pushWait holds a request's sender back while the queue is full, until the
// drainer takes what waits or the queue closes; it never overflows the queue.
func TestOutQueuePushWait(t *testing.T) {
	t.Parallel()
	q := newOutQueue(10)
	for _, m := range []string{"12345", "67890"} {
		if err := q.pushWait([]byte(m)); err != nil {
			t.Fatalf("pushWait %s: %v", m, err)
		}
	}
	pushed := make(chan error, 1)
	go func() { pushed <- q.pushWait([]byte("!")) }()
	// The sender waits for room: the queue neither overflows nor closes.
	waitRoom := func() {
		for {
			q.mu.Lock()
			waiting := q.room != nil
			q.mu.Unlock()
			if waiting {
				return
			}
			select {
			case err := <-pushed:
				t.Fatalf("pushWait beyond the bound returned %v, want it to wait", err)
			default:
			}
			runtime.Gosched()
		}
	}
	waitRoom()
	if got := q.take(); len(got) != 2 {
		t.Fatalf("take = %q", got)
	}
	if err := <-pushed; err != nil {
		t.Fatalf("pushWait once there is room: %v", err)
	}
	if got := q.take(); len(got) != 1 || string(got[0]) != "!" {
		t.Fatalf("take = %q, want the waiting message", got)
	}
	// A queue that closes ends the wait.
	q.pushWait([]byte("1234567890"))
	go func() { pushed <- q.pushWait([]byte("?")) }()
	waitRoom()
	q.close()
	if err := <-pushed; !errors.Is(err, errStreamEnded) {
		t.Fatalf("pushWait on a queue that closed: %v, want errStreamEnded", err)
	}
}
