package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"
)

// maxDocument caps the size of a JWKS, discovery or introspection response.
const maxDocument = 1 << 20

// defaultFetchTimeout bounds requests to JWKS, discovery and introspection
// endpoints unless configured.
const defaultFetchTimeout = 10 * time.Second

// orDefault returns d when v is zero.
func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// flight runs fn once for all concurrent callers with the same key. fn runs
// with a context that is not cancelled with the caller's (another caller may
// still want the result) but bounded by timeout; each caller stops waiting
// when its own ctx ends.
//
// A panic in fn (a ClaimsMapper's, say) is raised again in each waiting
// caller's goroutine, where the server's recovery of authenticator panics
// handles it. Left to singleflight.DoChan, it would be re-raised in a
// goroutine of its own and end the process.
func flight[T any](ctx context.Context, g *singleflight.Group, key string, timeout time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	fctx := context.WithoutCancel(ctx)
	ch := g.DoChan(key, func() (v any, err error) {
		defer func() {
			if p := recover(); p != nil {
				v, err = nil, &flightPanic{value: p}
			}
		}()
		ctx, cancel := context.WithTimeout(fctx, timeout)
		defer cancel()
		return fn(ctx)
	})
	var zero T
	select {
	case res := <-ch:
		if fp, ok := res.Err.(*flightPanic); ok {
			panic(fp.value)
		}
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// flightPanic carries a panic of a flight's function to its callers.
type flightPanic struct{ value any }

func (p *flightPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// getJSON GETs url and decodes its JSON body into v.
func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	return doJSON(client, req, v)
}

// doJSON sends req and decodes its 200 JSON answer into v.
func doJSON(client *http.Client, req *http.Request, v any) error {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %s", req.Method, req.URL.Redacted(), resp.Status)
	}
	if len(body) > maxDocument {
		return fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), maxDocument)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}
