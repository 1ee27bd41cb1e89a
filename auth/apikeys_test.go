package auth_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
)

func testKeys() map[string]auth.User {
	return map[string]auth.User{
		"admin-key":  {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
		"user-key":   {Subject: "bob", Roles: []string{"user"}, Scopes: []string{"read"}},
		"user-key-2": {Subject: "carol", Email: "carol@example.com", Claims: map[string]any{"team": "blue"}},
		"old-key":    {Subject: "dave", ExpiresAt: time.Now().Add(-time.Minute)},
	}
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	plain, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys()})
	if err != nil {
		t.Fatal(err)
	}
	withBearer, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: testKeys(), Header: "X-Token", Bearer: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		v       *auth.APIKeys
		header  []string
		subject string // "" expects fail
		fail    failure
	}{
		{"valid", plain, []string{"X-API-Key", "admin-key"}, "alice", failure{}},
		{"header name is case-insensitive", plain, []string{"x-api-key", "user-key"}, "bob", failure{}},
		{"key with a known key as prefix", plain, []string{"X-API-Key", "user-key-2"}, "carol", failure{}},
		{"surrounding spaces trimmed", plain, []string{"X-API-Key", " user-key "}, "bob", failure{}},
		{"unknown key", plain, []string{"X-API-Key", "nope"}, "", invalid("invalid API key")},
		{"prefix of a key", plain, []string{"X-API-Key", "user-key-"}, "", invalid("invalid API key")},
		{"key extending a key", plain, []string{"X-API-Key", "user-key-22"}, "", invalid("invalid API key")},
		{"empty key", plain, []string{"X-API-Key", ""}, "", invalid("empty API key")},
		{"two keys", plain, []string{"X-API-Key", "admin-key", "X-API-Key", "user-key"}, "", invalid("more than one API key")},
		{"expired key", plain, []string{"X-API-Key", "old-key"}, "", invalid("API key expired")},
		{"missing", plain, nil, "", failure{401, auth.ErrNoCredentials, "Bearer", "an API key in the X-API-Key header"}},
		{"bearer not accepted", plain, []string{"Authorization", "Bearer admin-key"}, "",
			unrecognized("unsupported credentials: expected an API key in the X-API-Key header")},
		{"custom header", withBearer, []string{"X-Token", "admin-key"}, "alice", failure{}},
		{"default header not read", withBearer, []string{"X-API-Key", "admin-key"}, "",
			failure{401, auth.ErrNoCredentials, "Bearer", "an API key in the X-Token or Authorization: Bearer header"}},
		{"bearer", withBearer, []string{"Authorization", "Bearer user-key"}, "bob", failure{}},
		{"bearer scheme is case-insensitive", withBearer, []string{"Authorization", "bearer user-key"}, "bob", failure{}},
		{"unknown bearer", withBearer, []string{"Authorization", "Bearer nope"}, "", unrecognized("bearer token is not a known API key")},
		{"basic scheme", withBearer, []string{"Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "",
			unrecognized("unsupported credentials: expected an API key in the X-Token or Authorization: Bearer header")},
		{"header and bearer with different keys", withBearer, []string{"X-Token", "user-key", "Authorization", "Bearer admin-key"}, "", ambiguous("Authorization: Bearer", "X-Token")},
		{"header and bearer with an unknown key", withBearer, []string{"X-Token", "nope", "Authorization", "Bearer admin-key"}, "", ambiguous("Authorization: Bearer", "X-Token")},
		{"header and bearer with the same key", withBearer, []string{"X-Token", "admin-key", "Authorization", "Bearer admin-key"}, "alice", failure{}},
		{"two different bearer tokens", withBearer, []string{"Authorization", "Bearer admin-key", "Authorization", "Bearer user-key"}, "", ambiguous("Authorization: Bearer", "another Authorization: Bearer")},
		{"header and a bearer token it does not read", plain, []string{"X-API-Key", "admin-key", "Authorization", "Bearer user-key"}, "alice", failure{}},
	} {
		data, err := tc.v.Authenticate(request(tc.header...))
		if tc.subject == "" {
			var key string
			if len(tc.header) > 1 {
				key = strings.TrimPrefix(tc.header[1], "Bearer ")
			}
			checkFailure(t, tc.name, data, err, tc.fail, key)
			if !errors.Is(err, auth.ErrNoCredentials) && !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("%s: %v is neither ErrNoCredentials nor ErrInvalidCredentials", tc.name, err)
			}
			continue
		}
		u := userOf(t, data, err)
		if u.Subject != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.name, u.Subject, tc.subject)
		}
	}

	// The user is the key's entry, with the key as Token, and a copy.
	u := mustUser(t, plain, (request("X-API-Key", "admin-key")))
	want := &auth.User{Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}, Token: "admin-key"}
	if diff := testdiff.Diff(want, u); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	u.Roles[0] = "root"
	u.Scopes = append(u.Scopes, "everything")
	u2 := mustUser(t, plain, (request("X-API-Key", "admin-key")))
	if !slices.Equal(u2.Roles, []string{"admin"}) || len(u2.Scopes) != 2 {
		t.Errorf("changing a returned user changed the key's entry: %+v", u2)
	}
	u3 := mustUser(t, plain, (request("X-API-Key", "user-key-2")))
	if u3.Email != "carol@example.com" || u3.Claims["team"] != "blue" {
		t.Errorf("extra data of the key lost: %+v", u3)
	}
	if u3.AuthSubject() != "carol" || u2.AuthScopes()[0] != "read" || u2.AuthRoles()[0] != "admin" || !u2.HasRole("admin") || !u2.HasScope("write") {
		t.Errorf("Identity/ScopeHolder/RoleHolder methods disagree with the fields")
	}

	// Over stdio there is no request: no credentials.
	data, err := plain.Authenticate(nil)
	checkFailure(t, "nil request", data, err, failure{401, auth.ErrNoCredentials, "Bearer", "X-API-Key"})
}

// The lookup compares with every key and selects the match without
// branching: each position in a larger set must be found, including keys
// that are prefixes of each other and of different lengths, and no near miss.
func TestAPIKeysConstantTimeLookup(t *testing.T) {
	t.Parallel()
	keys := map[string]auth.User{}
	var list []string
	for i := range 64 {
		k := "k" + strings.Repeat("x", i%7) + fmt.Sprint(i)
		keys[k] = auth.User{Subject: fmt.Sprint("user", i)}
		list = append(list, k)
	}
	v, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		u := mustUser(t, v, (request("X-API-Key", k)))
		if u.Subject != keys[k].Subject {
			t.Fatalf("key %q: subject %q, want %q", k, u.Subject, keys[k].Subject)
		}
		for _, miss := range []string{k[:len(k)-1], k + "0", strings.ToUpper(k)} {
			if _, ok := keys[miss]; ok {
				continue
			}
			data, err := v.Authenticate(request("X-API-Key", miss))
			checkFailure(t, "near miss "+miss, data, err, invalid("invalid API key"), miss)
		}
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	// Write and rename, so that a poller never reads a half-written file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestAPIKeysFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		content string
		want    map[string]*auth.User // key → user; a nil user means the key must fail
		err     string                // NewAPIKeys error, "" for none
	}{
		{"json", `{
			"admin-key": {"subject": "alice", "roles": ["admin"], "scopes": ["read", "write"]},
			"user-key":  {"subject": "bob", "name": "Bob", "scopes": ["read"], "client_id": "cli", "claims": {"team": "blue"}},
			"old-key":   {"subject": "dave", "expires_at": "2001-01-01T00:00:00Z"}
		}`, map[string]*auth.User{
			"admin-key": {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
			"user-key":  {Subject: "bob", Name: "Bob", Scopes: []string{"read"}, ClientID: "cli", Claims: map[string]any{"team": "blue"}},
			"old-key":   nil,
		}, ""},
		{"lines", "# comment\n\nadmin-key alice admin read,write\nuser-key\tbob user read ; svc-key robot - deploy\nbare-key carol\n",
			map[string]*auth.User{
				"admin-key": {Subject: "alice", Roles: []string{"admin"}, Scopes: []string{"read", "write"}},
				"user-key":  {Subject: "bob", Roles: []string{"user"}, Scopes: []string{"read"}},
				"svc-key":   {Subject: "robot", Scopes: []string{"deploy"}},
				"bare-key":  {Subject: "carol"},
				"# comment": nil,
			}, ""},
		{"empty file", "", map[string]*auth.User{"admin-key": nil}, ""},
		{"json duplicate", `{"dup-secret": {"subject": "a"}, "dup-secret": {"subject": "b"}}`, nil, "duplicate API key"},
		{"lines duplicate", "dup-secret a\ndup-secret b\n", nil, "also defined by"},
		{"json unknown field", `{"k-secret": {"subject": "a", "role": "admin"}}`, nil, "unknown field"},
		{"json missing subject", `{"k-secret": {"roles": ["admin"]}}`, nil, "without a subject"},
		{"json trailing data", `{"k-secret": {"subject": "a"}} {}`, nil, "after the JSON object"},
		{"json syntax", `{"k-secret": {"subject": "a"`, nil, "entry 1"},
		{"lines too many fields", "k-secret a b c d\n", nil, "line 1"},
		{"lines missing subject", "k-secret\n", nil, "line 1"},
	} {
		path := filepath.Join(t.TempDir(), "keys")
		writeFile(t, path, tc.content)
		v, err := auth.NewAPIKeys(auth.APIKeysOptions{File: path})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error %q shows a key", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for key, want := range tc.want {
			data, err := v.Authenticate(request("X-API-Key", key))
			if want == nil {
				if err == nil {
					t.Errorf("%s: key %q accepted", tc.name, key)
				}
				continue
			}
			u := userOf(t, data, err)
			want.Token = key
			if diff := testdiff.Diff(want, u); diff != "" {
				t.Errorf("%s: key %q (-want +got):\n%s", tc.name, key, diff)
			}
		}
	}
	if _, err := auth.NewAPIKeys(auth.APIKeysOptions{File: filepath.Join(t.TempDir(), "absent")}); err == nil {
		t.Error("a missing key file was accepted")
	}
}

// Keys from the environment, merged with a file and static keys.
func TestAPIKeysEnv(t *testing.T) {
	t.Setenv("FASTMCP_TEST_KEYS", "env-key alice admin read,write; env-key-2 bob")
	path := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, path, `{"file-key": {"subject": "carol"}}`)
	v, err := auth.NewAPIKeys(auth.APIKeysOptions{Env: "FASTMCP_TEST_KEYS", File: path,
		Keys: map[string]auth.User{"static-key": {Subject: "dave"}}})
	if err != nil {
		t.Fatal(err)
	}
	for key, sub := range map[string]string{"env-key": "alice", "env-key-2": "bob", "file-key": "carol", "static-key": "dave"} {
		if u := mustUser(t, v, (request("X-API-Key", key))); u.Subject != sub {
			t.Errorf("key %q: subject %q, want %q", key, u.Subject, sub)
		}
	}
	if u := mustUser(t, v, (request("X-API-Key", "env-key"))); !slices.Equal(u.Scopes, []string{"read", "write"}) {
		t.Errorf("env key scopes %v", u.Scopes)
	}

	t.Setenv("FASTMCP_TEST_JSON_KEYS", `{"json-env-key": {"subject": "erin", "scopes": ["read"]}}`)
	v2, err := auth.NewAPIKeys(auth.APIKeysOptions{Env: "FASTMCP_TEST_JSON_KEYS"})
	if err != nil {
		t.Fatal(err)
	}
	if u := mustUser(t, v2, (request("X-API-Key", "json-env-key"))); u.Subject != "erin" {
		t.Errorf("JSON env key: subject %q", u.Subject)
	}

	// The same key in two sources is a configuration error.
	t.Setenv("FASTMCP_TEST_DUP", "file-key mallory")
	if _, err := auth.NewAPIKeys(auth.APIKeysOptions{Env: "FASTMCP_TEST_DUP", File: path}); err == nil || strings.Contains(err.Error(), "file-key") {
		t.Errorf("duplicate across sources: error %v, want one that does not show the key", err)
	}
	if _, err := auth.NewAPIKeys(auth.APIKeysOptions{Env: "FASTMCP_TEST_UNSET_VARIABLE"}); err == nil || !strings.Contains(err.Error(), "not set") {
		t.Errorf("unset variable: error %v", err)
	}
}

// Rotation without restart: Reload after the file changes, and an invalid
// new file keeping the old keys.
func TestAPIKeysReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys")
	writeFile(t, path, "old-key alice admin\n")
	v, err := auth.NewAPIKeys(auth.APIKeysOptions{File: path})
	if err != nil {
		t.Fatal(err)
	}
	accepts := func(key string) bool { _, err := v.Authenticate(request("X-API-Key", key)); return err == nil }

	writeFile(t, path, "new-key alice admin\n")
	if !accepts("old-key") || accepts("new-key") {
		t.Fatal("keys changed before Reload")
	}
	if err := v.Reload(); err != nil {
		t.Fatal(err)
	}
	if accepts("old-key") || !accepts("new-key") {
		t.Fatal("Reload did not rotate the keys")
	}

	writeFile(t, path, "broken-key\n")
	if err := v.Reload(); err == nil {
		t.Fatal("Reload of an invalid file succeeded")
	}
	if !accepts("new-key") || accepts("broken-key") {
		t.Fatal("an invalid file replaced the keys")
	}
	os.Remove(path)
	if err := v.Reload(); err == nil || !accepts("new-key") {
		t.Fatalf("Reload of a removed file: %v; the keys must stay", err)
	}

	// SetKeys replaces the programmatic keys; an invalid set changes nothing.
	if err := v.SetKeys(map[string]auth.User{"set-key": {Subject: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if !accepts("set-key") || !accepts("new-key") {
		t.Fatal("SetKeys: keys missing")
	}
	if err := v.SetKeys(map[string]auth.User{"other-key": {}}); err == nil {
		t.Fatal("SetKeys accepted a key without a subject")
	}
	if !accepts("set-key") || accepts("other-key") {
		t.Fatal("a failed SetKeys changed the keys")
	}
	if err := v.SetKeys(map[string]auth.User{"new-key": {Subject: "mallory"}}); err == nil {
		t.Fatal("SetKeys accepted a key of the file")
	}
	if err := v.SetKeys(nil); err != nil || accepts("set-key") {
		t.Fatalf("SetKeys(nil): %v", err)
	}
}

// Polling picks up a changed file, and an invalid one is reported while the
// old keys stay.
func TestAPIKeysPolling(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys.json")
	writeFile(t, path, `{"key-1": {"subject": "alice"}}`)
	reloads := make(chan error, 16)
	v, err := auth.NewAPIKeys(auth.APIKeysOptions{File: path, PollInterval: 2 * time.Millisecond,
		OnReload: func(err error) { reloads <- err }})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	wait := func() error {
		t.Helper()
		select {
		case err := <-reloads:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("no reload after the file changed")
			return nil
		}
	}
	accepts := func(key string) bool { _, err := v.Authenticate(request("X-API-Key", key)); return err == nil }

	writeFile(t, path, `{"key-2": {"subject": "alice"}}`)
	if err := wait(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if accepts("key-1") || !accepts("key-2") {
		t.Fatal("polling did not rotate the keys")
	}
	writeFile(t, path, `{"key-3": {"subject": "alice"`)
	if err := wait(); err == nil {
		t.Fatal("an invalid file was not reported")
	}
	if !accepts("key-2") || accepts("key-3") {
		t.Fatal("an invalid file replaced the keys")
	}
	writeFile(t, path, `{"key-3": {"subject": "alice"}}`)
	if err := wait(); err != nil {
		t.Fatalf("reload after the fix: %v", err)
	}
	if !accepts("key-3") {
		t.Fatal("the fixed file was not loaded")
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v.Close() // twice is fine
	select {
	case err := <-reloads:
		t.Fatalf("a reload (%v) without a change", err)
	default:
	}
}

// Keys are replaced while requests are being authenticated.
func TestAPIKeysConcurrentRotation(t *testing.T) {
	t.Parallel()
	v, err := auth.NewAPIKeys(auth.APIKeysOptions{Keys: map[string]auth.User{"stable": {Subject: "alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	var failures atomic.Int32
	parallel(8, func(i int) {
		for j := range 200 {
			if i == 0 {
				v.SetKeys(map[string]auth.User{"stable": {Subject: "alice"}, fmt.Sprint("k", j): {Subject: "bob"}})
				continue
			}
			if _, err := v.Authenticate(request("X-API-Key", "stable")); err != nil {
				failures.Add(1)
			}
		}
	})
	if n := failures.Load(); n != 0 {
		t.Errorf("%d requests with a key present in every set failed", n)
	}
}
