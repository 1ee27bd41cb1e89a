package fastmcp_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

var (
	mtPNG  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	mtSVG  = []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`)
	mtWAV  = []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
	mtFLAC = []byte("fLaC\x00\x00\x00\x22\x10\x00")
	mtJunk = []byte("no magic number here")
)

// mtAudioExt is an extension registered only by these tests, so the
// extension fallback for audio does not depend on the machine's mime.types.
const mtAudioExt = ".fastmcptestaudio"

func init() {
	if err := mime.AddExtensionType(mtAudioExt, "audio/x-fastmcp-test"); err != nil {
		panic(err)
	}
}

func mtWrite(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImageFromFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"sniffed despite the extension", "picture.jpg", mtPNG, "image/png"},
		{"sniffed without extension", "picture", mtPNG, "image/png"},
		{"svg sniffed", "drawing.txt", mtSVG, "image/svg+xml"},
		{"extension when sniffing fails", "photo.jpg", mtJunk, "image/jpeg"},
		{"extension is case-insensitive", "anim.GIF", mtJunk, "image/gif"},
		{"webp extension", "x.webp", mtJunk, "image/webp"},
		{"audio data is not an image type", "x", mtWAV, "image/png"},
		{"non-image extension ignored", "notes.html", mtJunk, "image/png"},
		{"fallback", "blob.bin", mtJunk, "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img, err := fastmcp.ImageFromFile(mtWrite(t, tt.file, tt.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if img.MIMEType != tt.want || !bytes.Equal(img.Data, tt.data) {
				t.Errorf("got %s with %d bytes, want %s with %d bytes", img.MIMEType, len(img.Data), tt.want, len(tt.data))
			}
		})
	}
}

func TestAudioFromFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		data []byte
		want string
	}{
		{"wav sniffed", "a.bin", mtWAV, "audio/wav"},
		{"sniffed despite the extension", "a.mp3", mtFLAC, "audio/flac"},
		{"extension when sniffing fails", "a" + mtAudioExt, mtJunk, "audio/x-fastmcp-test"},
		{"image data is not an audio type", "a", mtPNG, "audio/mpeg"},
		{"image extension ignored", "a.png", mtJunk, "audio/mpeg"},
		{"fallback", "a", mtJunk, "audio/mpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := fastmcp.AudioFromFile(mtWrite(t, tt.file, tt.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.MIMEType != tt.want || !bytes.Equal(a.Data, tt.data) {
				t.Errorf("got %s with %d bytes, want %s with %d bytes", a.MIMEType, len(a.Data), tt.want, len(tt.data))
			}
		})
	}
}

func TestMediaFromFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exact := mtWrite(t, "exact.png", bytes.Repeat([]byte{'x'}, 16))
	over := mtWrite(t, "over.png", bytes.Repeat([]byte{'x'}, 17))
	small := &fastmcp.FetchOptions{MaxBytes: 16}

	if _, err := fastmcp.ImageFromFile(exact, small); err != nil {
		t.Errorf("file of exactly MaxBytes: %v", err)
	}
	if _, err := fastmcp.AudioFromFile(exact, small); err != nil {
		t.Errorf("file of exactly MaxBytes: %v", err)
	}
	for _, load := range []func(string, *fastmcp.FetchOptions) error{
		func(p string, o *fastmcp.FetchOptions) error { _, err := fastmcp.ImageFromFile(p, o); return err },
		func(p string, o *fastmcp.FetchOptions) error { _, err := fastmcp.AudioFromFile(p, o); return err },
	} {
		err := load(over, small)
		if !errors.Is(err, fastmcp.ErrMediaTooLarge) {
			t.Errorf("file over MaxBytes: %v, want ErrMediaTooLarge", err)
		} else if !strings.Contains(err.Error(), "over.png") {
			t.Errorf("error %q does not name the file", err)
		}
		// MaxBytes <= 0 means the default (20 MiB).
		if err := load(over, &fastmcp.FetchOptions{MaxBytes: -1}); err != nil {
			t.Errorf("negative MaxBytes: %v", err)
		}
		if err := load(filepath.Join(dir, "missing.png"), nil); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file: %v, want fs.ErrNotExist", err)
		}
		if err := load(dir, nil); err == nil {
			t.Error("a directory loaded as media")
		}
	}
}

// mtServer serves media fixtures on 127.0.0.1 and counts requests.
func mtServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	mux := http.NewServeMux()
	serve := func(ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc("/png", serve("text/plain", mtPNG))
	mux.HandleFunc("/blob", serve("image/jpeg; charset=binary", mtJunk))
	mux.HandleFunc("/pic.gif", serve("application/octet-stream", mtJunk))
	mux.HandleFunc("/junk", serve("application/octet-stream", mtJunk))
	mux.HandleFunc("/wav", serve("application/octet-stream", mtWAV))
	mux.HandleFunc("/sound.bin", serve("audio/ogg", mtJunk))
	mux.HandleFunc("/png-as-audio", serve("image/png", mtPNG))
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/png", http.StatusFound)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/declared-big", serve("image/png", bytes.Repeat([]byte{'x'}, 1000)))
	mux.HandleFunc("/exact-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 4 {
			_, _ = w.Write(bytes.Repeat([]byte{'y'}, 25))
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
	})
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			_, _ = w.Write(bytes.Repeat([]byte{'z'}, 64))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte{'e'}, 64)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	// Raw responses: a body read until the connection closes, and a body
	// longer than its Content-Length.
	raw := func(head string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString(head)
			_, _ = buf.Write(body)
			_ = buf.Flush()
		}
	}
	mux.HandleFunc("/until-close", raw("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n", bytes.Repeat([]byte{'w'}, 1000)))
	mux.HandleFunc("/longer-than-declared", raw("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\n", append(append([]byte{}, mtPNG[:8]...), bytes.Repeat([]byte{'v'}, 1000)...)))
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("/hang-body", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(mtPNG)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestMediaFromURL(t *testing.T) {
	t.Parallel()
	srv, _ := mtServer(t)
	tests := []struct {
		name  string
		audio bool
		path  string
		want  string
		data  []byte
	}{
		{"image sniffed over Content-Type", false, "/png", "image/png", mtPNG},
		{"image Content-Type when sniffing fails", false, "/blob", "image/jpeg", mtJunk},
		{"image URL extension when Content-Type is not an image", false, "/pic.gif", "image/gif", mtJunk},
		{"image URL extension ignores the query", false, "/pic.gif?size=large", "image/gif", mtJunk},
		{"image fallback", false, "/junk", "image/png", mtJunk},
		{"image after a redirect", false, "/redirect", "image/png", mtPNG},
		{"image body longer than declared is cut at Content-Length", false, "/longer-than-declared", "image/png", mtPNG[:8]},
		{"audio sniffed", true, "/wav", "audio/wav", mtWAV},
		{"audio Content-Type", true, "/sound.bin", "audio/ogg", mtJunk},
		{"audio ignores image types", true, "/png-as-audio", "audio/mpeg", mtPNG},
		{"audio fallback", true, "/junk", "audio/mpeg", mtJunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testkit.Context(t)
			var mimeType string
			var data []byte
			if tt.audio {
				a, err := fastmcp.AudioFromURL(ctx, srv.URL+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				mimeType, data = a.MIMEType, a.Data
			} else {
				img, err := fastmcp.ImageFromURL(ctx, srv.URL+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				mimeType, data = img.MIMEType, img.Data
			}
			if mimeType != tt.want || !bytes.Equal(data, tt.data) {
				t.Errorf("got %s with %q, want %s with %q", mimeType, data, tt.want, tt.data)
			}
		})
	}
}

func TestMediaFromURLErrors(t *testing.T) {
	t.Parallel()
	srv, _ := mtServer(t)
	const limit = 100
	capped := &fastmcp.FetchOptions{MaxBytes: limit}
	tests := []struct {
		name     string
		path     string
		opts     *fastmcp.FetchOptions
		tooLarge bool     // errors.Is ErrMediaTooLarge
		contains []string // substrings of the error
	}{
		{name: "404", path: "/missing", contains: []string{"404", "/missing"}},
		{name: "503", path: "/broken", contains: []string{"503"}},
		{name: "Content-Length over the cap", path: "/declared-big", opts: capped, tooLarge: true, contains: []string{"1000"}},
		{name: "chunked body over the cap", path: "/big-chunked", opts: capped, tooLarge: true},
		{name: "body until close over the cap", path: "/until-close", opts: capped, tooLarge: true},
		// Reading stops at the cap: an endless body fails at once, not at
		// the timeout.
		{name: "endless body", path: "/endless", opts: &fastmcp.FetchOptions{MaxBytes: limit, Timeout: 20 * time.Second}, tooLarge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, fetch := range []func() error{
				func() error { _, err := fastmcp.ImageFromURL(testkit.Context(t), srv.URL+tt.path, tt.opts); return err },
				func() error { _, err := fastmcp.AudioFromURL(testkit.Context(t), srv.URL+tt.path, tt.opts); return err },
			} {
				err := fetch()
				if err == nil {
					t.Fatal("no error")
				}
				if errors.Is(err, fastmcp.ErrMediaTooLarge) != tt.tooLarge {
					t.Errorf("error %q: errors.Is(ErrMediaTooLarge) = %v, want %v", err, !tt.tooLarge, tt.tooLarge)
				}
				for _, s := range tt.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
			}
		})
	}
	t.Run("body of exactly the cap", func(t *testing.T) {
		t.Parallel()
		img, err := fastmcp.ImageFromURL(testkit.Context(t), srv.URL+"/exact-chunked", capped)
		if err != nil || len(img.Data) != limit {
			t.Errorf("got %v, %v; want %d bytes", img, err, limit)
		}
	})
}

func TestMediaFromURLTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := mtServer(t)
	const bound = 5 * time.Second // generous: the machine is shared
	for _, path := range []string{"/hang", "/hang-body"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := fastmcp.ImageFromURL(testkit.Context(t), srv.URL+path, &fastmcp.FetchOptions{Timeout: 30 * time.Millisecond})
			if err == nil {
				t.Fatal("no error from a server that never finishes")
			}
			if elapsed := time.Since(start); elapsed > bound {
				t.Errorf("timed out after %v", elapsed)
			}
			if path == "/hang" && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
			}
		})
	}
	t.Run("caller context", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(testkit.Context(t))
		cancel()
		_, err := fastmcp.AudioFromURL(ctx, srv.URL+"/hang", nil)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v, want context.Canceled", err)
		}
	})
}

type mtCountingTransport struct{ n atomic.Int64 }

func (c *mtCountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestMediaFromURLClientAndSchemes(t *testing.T) {
	t.Parallel()
	srv, hits := mtServer(t)
	ctx := testkit.Context(t)

	tr := &mtCountingTransport{}
	img, err := fastmcp.ImageFromURL(ctx, srv.URL+"/png", &fastmcp.FetchOptions{Client: &http.Client{Transport: tr}})
	if err != nil || img.MIMEType != "image/png" {
		t.Fatalf("custom client: %v, %v", img, err)
	}
	if tr.n.Load() != 1 {
		t.Errorf("FetchOptions.Client made %d requests, want 1", tr.n.Load())
	}

	before := hits.Load()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, u := range []string{
		"file:///etc/passwd",
		"ftp://" + host + "/png",
		"gopher://" + host + "/png",
		"data:image/png;base64,iVBORw0KGgo=",
		"//" + host + "/png",
		"png",
		"http://[::1",
	} {
		if _, err := fastmcp.ImageFromURL(ctx, u, &fastmcp.FetchOptions{Client: &http.Client{Transport: tr}}); err == nil {
			t.Errorf("ImageFromURL(%q) succeeded", u)
		}
		if _, err := fastmcp.AudioFromURL(ctx, u, nil); err == nil {
			t.Errorf("AudioFromURL(%q) succeeded", u)
		}
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("refused URLs made %d requests", n)
	}
	if tr.n.Load() != 1 {
		t.Errorf("refused URLs reached the client: %d requests", tr.n.Load()-1)
	}
}
