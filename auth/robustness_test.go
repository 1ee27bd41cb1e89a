package auth_test

import (
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp/auth"
)

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
