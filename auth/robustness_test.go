package auth_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp/auth"
)

// A ClaimsMapper that panics inside the introspection request several
// requests share fails those requests like any panicking authenticator (500,
// a server bug), and the server goes on serving; left inside singleflight.DoChan, the panic
// would end the process.
func TestE2EPanickingClaimsMapper(t *testing.T) {
	t.Parallel()
	is := newIntrospector()
	ts := serve(t, is)
	v, err := auth.NewIntrospection(auth.IntrospectionOptions{Endpoint: ts.URL, HTTPClient: ts.Client(),
		ClientID: "mcp:server", ClientSecret: "s&cret",
		ClaimsMapper: func(c map[string]any, u *auth.User) error {
			if u.Subject == "alice" {
				panic("mapper bug")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	base := trServer(t, v, nil)
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i], _, _ = trPost(t, base+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`,
				"Accept", "application/json, text/event-stream", "Authorization", "Bearer active-alice")
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusInternalServerError {
			t.Errorf("request %d: status %d, want 500", i, st)
		}
	}
	// Still serving: another user's token works.
	cs := e2eClient(t, base+"/mcp", staticHeader("Authorization", "Bearer active-bob"))
	if _, text, err := trCall(t, cs, "whoami"); err != nil || text != "bob" {
		t.Errorf("after the panics: whoami %q %v", text, err)
	}
}

// Chain refuses a nil verifier when it is built, not at the first request.
func TestChainNilVerifier(t *testing.T) {
	t.Parallel()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "verifier 1 is nil") {
			t.Errorf("panic %v, want one naming verifier 1", p)
		}
	}()
	keys, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	auth.Chain(keys, nil)
}
