// Package benchsrv holds what the benchmark servers share, so that they
// differ only in the MCP library they use: the command-line flags, the HTTP
// server settings, and a signal that makes the process return freed memory to
// the operating system before the load generator reads its RSS.
package benchsrv

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// Flags are the flags every benchmark server accepts.
type Flags struct {
	Host string
	Port int
	// Stdio serves one client over standard input and output (newline-
	// delimited JSON-RPC) with the library's stdio transport, instead of HTTP.
	Stdio bool
}

// Register adds -host, -port and -stdio to the default flag set.
func Register() *Flags {
	f := &Flags{}
	flag.StringVar(&f.Host, "host", "127.0.0.1", "listen host")
	flag.IntVar(&f.Port, "port", 8080, "listen port")
	flag.BoolVar(&f.Stdio, "stdio", false, "serve one client over standard input and output instead of HTTP")
	return f
}

// Addr returns host:port.
func (f *Flags) Addr() string { return net.JoinHostPort(f.Host, strconv.Itoa(f.Port)) }

// FreeMemoryOnSignal makes SIGUSR1 run a full garbage collection and return
// freed memory to the operating system (debug.FreeOSMemory). The load
// generator sends it before each RSS reading, to every server alike, so that
// the reading reflects live memory rather than where the GC cycle happens to
// be.
func FreeMemoryOnSignal() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		for range c {
			debug.FreeOSMemory()
		}
	}()
}

// Serve runs an http.Server with the settings fastmcp's own HTTP transport
// uses (ReadHeaderTimeout 10 s, IdleTimeout 5 min), so the peers are served by
// an identically configured net/http server. It returns when SIGINT or
// SIGTERM arrives.
func Serve(addr string, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "serving on http://%s/mcp (GOMAXPROCS=%d)\n", ln.Addr(), runtime.GOMAXPROCS(0))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return nil
}
