package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// APIKeysOptions configure NewAPIKeys. The keys are the union of Keys, File
// and Env; a key listed twice is an error.
type APIKeysOptions struct {
	// Header is the request header carrying the key. Default "X-API-Key".
	Header string
	// Bearer also accepts the key as "Authorization: Bearer <key>". A bearer
	// token that is not a known key is ErrUnrecognized, not invalid, so a
	// Chain can hand it to a token verifier. A request with different values
	// in Header and Authorization is refused (401 invalid_request). Default
	// false.
	Bearer bool

	// Keys maps keys to their users. SetKeys replaces them later. Default
	// none.
	Keys map[string]User
	// File is a key file, read by NewAPIKeys and by every reload. Its format
	// is chosen by its first non-blank character.
	//
	// A JSON object maps each key to a User in its JSON form:
	//
	//	{
	//	  "admin-key": {"subject": "alice", "roles": ["admin"], "scopes": ["read", "write"]},
	//	  "user-key":  {"subject": "bob", "roles": ["user"], "scopes": ["read"],
	//	                "expires_at": "2027-01-01T00:00:00Z", "claims": {"team": "blue"}}
	//	}
	//
	// Otherwise the file is lines of the form
	//
	//	key subject [roles [scopes]]
	//
	// separated by spaces or tabs, where roles and scopes are comma-separated
	// lists or "-" for none. Entries are separated by newlines or semicolons
	// (so keys cannot contain ';', spaces or '#'); a line starting with '#' is
	// a comment. A key with an expires_at in the past is refused. Default
	// "": no file.
	File string
	// Env names an environment variable holding keys in the same formats as
	// File, such as "admin-key alice admin read,write; user-key bob user read".
	// The variable must be set. Default "": no variable.
	Env string

	// PollInterval, when positive, rereads File and Env at this period and
	// reloads the keys when their contents changed. Default 0: keys change
	// only through Reload and SetKeys. Close stops the polling.
	PollInterval time.Duration
	// OnReload, when set, is called after each reload the polling performs,
	// with nil or the error that kept the previous keys in place. Default:
	// failures are logged with slog.Default.
	OnReload func(err error)
}

// APIKeys authenticates requests by an API key in a header (see
// APIKeysOptions). Keys are compared in constant time: the presented key's
// SHA-256 digest is compared with every known key's digest, without stopping
// at a match, so neither timing nor the order of keys reveals how much of a
// key was right. The keys can be replaced while serving (Reload, SetKeys,
// polling); APIKeys is safe for concurrent use.
type APIKeys struct {
	header   string
	bearer   bool
	file     string
	env      string
	onReload func(error)
	expected string
	display  string // the header's name as configured

	keys atomic.Pointer[keySet]

	mu       sync.Mutex // serializes loads; guards the fields below
	static   map[string]User
	loaded   []keyEntry // the entries of File and Env last loaded
	lastSum  [sha256.Size]byte
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
}

// keyEntry is a key and its user, with where it was defined (for errors that
// must not show the key).
type keyEntry struct {
	key   string
	user  User
	where string
}

// keySet is an immutable set of keys, by digest.
type keySet struct {
	digests [][sha256.Size]byte
	users   []*User
}

// maxKeySource caps the size of a key file or variable.
const maxKeySource = 1 << 20

// NewAPIKeys returns an API key verifier. It loads File and Env at once and
// fails if they cannot be read or parsed, and starts polling when
// PollInterval is set (Close stops it).
func NewAPIKeys(opts APIKeysOptions) (*APIKeys, error) {
	k := &APIKeys{
		header:   http.CanonicalHeaderKey(opts.Header),
		bearer:   opts.Bearer,
		file:     opts.File,
		env:      opts.Env,
		onReload: opts.OnReload,
		static:   cloneKeys(opts.Keys),
	}
	if k.header == "" {
		k.header = "X-Api-Key"
	}
	k.display = displayHeader(opts.Header)
	k.expected = "an API key in the " + displayHeader(opts.Header) + " header"
	if k.bearer {
		k.expected = "an API key in the " + displayHeader(opts.Header) + " or Authorization: Bearer header"
	}
	if err := k.Reload(); err != nil {
		return nil, err
	}
	if opts.PollInterval > 0 && (k.file != "" || k.env != "") {
		k.stop, k.stopped = make(chan struct{}), make(chan struct{})
		go k.poll(opts.PollInterval)
	}
	return k, nil
}

func displayHeader(h string) string {
	if h == "" {
		return "X-API-Key"
	}
	return h
}

// Authenticate implements fastmcp.Authenticator. It returns a *User, a copy
// of the key's entry with Token set to the key.
func (k *APIKeys) Authenticate(r *http.Request) (any, error) {
	if r == nil {
		return nil, errNoCredentials(k.expected)
	}
	if k.bearer {
		if err := checkAmbiguous(k.credentials(r, nil)); err != nil {
			return nil, err
		}
	}
	if vals := r.Header.Values(k.header); len(vals) > 0 {
		if len(vals) > 1 {
			return nil, errInvalid("more than one API key", nil)
		}
		return k.check(strings.TrimSpace(vals[0]))
	}
	tok, isBearer, present := bearerToken(r)
	switch {
	case !present:
		return nil, errNoCredentials(k.expected)
	case !isBearer || !k.bearer:
		return nil, errUnrecognized(k.expected, "unsupported credentials: expected "+k.expected)
	}
	u, err := k.check(tok)
	if err != nil && errors.Is(err, ErrInvalidCredentials) {
		// Another verifier of a Chain may know the bearer token.
		return nil, errUnrecognized(k.expected, "bearer token is not a known API key")
	}
	return u, err
}

// credentials implements credentialReader: the key header, and bearer
// tokens when Bearer is set.
func (k *APIKeys) credentials(r *http.Request, to []credential) []credential {
	for _, v := range r.Header.Values(k.header) {
		to = append(to, credential{k.display, strings.TrimSpace(v)})
	}
	if k.bearer {
		to = bearerCredentials(r, to)
	}
	return to
}

// check looks key up in constant time.
func (k *APIKeys) check(key string) (any, error) {
	if key == "" {
		return nil, errInvalid("empty API key", nil)
	}
	set := k.keys.Load()
	d := sha256.Sum256([]byte(key))
	found, at := 0, 0
	for i := range set.digests {
		eq := subtle.ConstantTimeCompare(d[:], set.digests[i][:])
		at = subtle.ConstantTimeSelect(eq, i, at)
		found |= eq
	}
	if found != 1 {
		return nil, errInvalid("invalid API key", nil)
	}
	u := set.users[at]
	if !u.ExpiresAt.IsZero() && !time.Now().Before(u.ExpiresAt) {
		return nil, errInvalid("API key expired", nil)
	}
	c := u.Clone()
	c.Token = key
	return c, nil
}

// Reload rereads File and Env and replaces the keys. On failure it returns
// the error and the previous keys stay in place.
func (k *APIKeys) Reload() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	data, sum, err := k.readSources()
	if err != nil {
		return err
	}
	k.lastSum = sum
	return k.install(data)
}

// SetKeys replaces the keys given as APIKeysOptions.Keys (those of File and
// Env stay). On failure (an empty key or subject, a key also in File or Env)
// the previous keys stay in place.
func (k *APIKeys) SetKeys(keys map[string]User) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.static
	k.static = cloneKeys(keys)
	if err := k.rebuild(k.loaded); err != nil {
		k.static = old
		return err
	}
	return nil
}

// Close stops the polling. It is safe to call more than once, and on an
// APIKeys that does not poll.
func (k *APIKeys) Close() error {
	if k.stop == nil {
		return nil
	}
	k.stopOnce.Do(func() { close(k.stop) })
	<-k.stopped
	return nil
}

// poll reloads the keys when the contents of File or Env change.
func (k *APIKeys) poll(every time.Duration) {
	defer close(k.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		changed, err := k.reloadIfChanged()
		if !changed {
			continue
		}
		if k.onReload != nil {
			k.onReload(err)
		} else if err != nil {
			slog.Default().Warn("auth: reloading API keys failed; the previous keys stay in place", "error", err)
		}
	}
}

// reloadIfChanged reloads the keys if File or Env changed since they were
// last read.
func (k *APIKeys) reloadIfChanged() (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	data, sum, err := k.readSources()
	if err != nil {
		// An unreadable file counts as a change once, not at every tick.
		if sum == k.lastSum {
			return false, nil
		}
		k.lastSum = sum
		return true, err
	}
	if sum == k.lastSum {
		return false, nil
	}
	k.lastSum = sum
	return true, k.install(data)
}

// source is the raw text of File or Env.
type source struct {
	name string
	data []byte
}

// readSources reads File and Env. sum digests what was read (or the error),
// so that polling notices changes.
func (k *APIKeys) readSources() (srcs []source, sum [sha256.Size]byte, err error) {
	h := sha256.New()
	defer func() {
		if err != nil {
			h.Write([]byte("error: " + err.Error()))
		}
		copy(sum[:], h.Sum(nil))
	}()
	if k.file != "" {
		f, err := os.Open(k.file)
		if err != nil {
			return nil, sum, fmt.Errorf("auth: API key file: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxKeySource+1))
		f.Close()
		if err != nil {
			return nil, sum, fmt.Errorf("auth: API key file: %w", err)
		}
		if len(data) > maxKeySource {
			return nil, sum, fmt.Errorf("auth: API key file %s: larger than %d bytes", k.file, maxKeySource)
		}
		h.Write(data)
		srcs = append(srcs, source{"file " + k.file, data})
	}
	h.Write([]byte{0})
	if k.env != "" {
		v, ok := os.LookupEnv(k.env)
		if !ok {
			return nil, sum, fmt.Errorf("auth: API key variable %s is not set", k.env)
		}
		h.Write([]byte(v))
		srcs = append(srcs, source{"variable " + k.env, []byte(v)})
	}
	return srcs, sum, nil
}

// install parses the sources and installs them with the static keys.
func (k *APIKeys) install(srcs []source) error {
	var entries []keyEntry
	for _, s := range srcs {
		e, err := parseKeys(s.name, s.data)
		if err != nil {
			return err
		}
		entries = append(entries, e...)
	}
	if err := k.rebuild(entries); err != nil {
		return err
	}
	k.loaded = entries
	return nil
}

// rebuild installs the union of the static keys and entries.
func (k *APIKeys) rebuild(entries []keyEntry) error {
	all := make([]keyEntry, 0, len(k.static)+len(entries))
	for key, u := range k.static {
		all = append(all, keyEntry{key, u, "APIKeysOptions.Keys (subject " + fmt.Sprintf("%q", u.Subject) + ")"})
	}
	all = append(all, entries...)
	set := &keySet{}
	seen := make(map[[sha256.Size]byte]string, len(all))
	for _, e := range all {
		if err := validEntry(e); err != nil {
			return err
		}
		d := sha256.Sum256([]byte(e.key))
		if prev, dup := seen[d]; dup {
			return fmt.Errorf("auth: API key of %s is also defined by %s", e.where, prev)
		}
		seen[d] = e.where
		u := e.user.Clone()
		u.Token = ""
		set.digests = append(set.digests, d)
		set.users = append(set.users, u)
	}
	k.keys.Store(set)
	return nil
}

func validEntry(e keyEntry) error {
	switch {
	case e.key == "":
		return fmt.Errorf("auth: empty API key in %s", e.where)
	case strings.TrimSpace(e.key) != e.key:
		return fmt.Errorf("auth: API key with surrounding spaces in %s", e.where)
	case e.user.Subject == "":
		return fmt.Errorf("auth: API key without a subject in %s", e.where)
	}
	return nil
}

func cloneKeys(m map[string]User) map[string]User {
	out := make(map[string]User, len(m))
	for k, u := range m {
		out[k] = *u.Clone()
	}
	return out
}

// parseKeys parses a key file or variable (see APIKeysOptions.File).
func parseKeys(name string, data []byte) ([]keyEntry, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSONKeys(name, trimmed)
	}
	return parseLineKeys(name, data)
}

// parseJSONKeys parses a JSON object of keys, refusing duplicate keys (which
// encoding/json would silently merge).
func parseJSONKeys(name string, data []byte) ([]keyEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("auth: API keys in %s: %w", name, err)
	}
	var out []keyEntry
	seen := map[string]bool{}
	for n := 1; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("auth: API keys in %s: entry %d: %w", name, n, err)
		}
		key, _ := tok.(string)
		var u User
		if err := dec.Decode(&u); err != nil {
			return nil, fmt.Errorf("auth: API keys in %s: entry %d: %w", name, n, err)
		}
		where := fmt.Sprintf("%s, entry %d (subject %q)", name, n, u.Subject)
		if seen[key] {
			return nil, fmt.Errorf("auth: duplicate API key in %s", where)
		}
		seen[key] = true
		out = append(out, keyEntry{key, u, where})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("auth: API keys in %s: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("auth: API keys in %s: data after the JSON object", name)
	}
	return out, nil
}

// parseLineKeys parses "key subject [roles [scopes]]" entries.
func parseLineKeys(name string, data []byte) ([]keyEntry, error) {
	var out []keyEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxKeySource+1)
	for line := 1; sc.Scan(); line++ {
		for entry := range strings.SplitSeq(sc.Text(), ";") {
			f := strings.Fields(entry)
			if len(f) == 0 || strings.HasPrefix(f[0], "#") {
				continue
			}
			where := fmt.Sprintf("%s, line %d", name, line)
			if len(f) < 2 || len(f) > 4 {
				return nil, fmt.Errorf("auth: API keys in %s: want \"key subject [roles [scopes]]\", got %d fields", where, len(f))
			}
			u := User{Subject: f[1]}
			if len(f) > 2 {
				u.Roles = splitList(f[2])
			}
			if len(f) > 3 {
				u.Scopes = splitList(f[3])
			}
			out = append(out, keyEntry{f[0], u, fmt.Sprintf("%s (subject %q)", where, u.Subject)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: API keys in %s: %w", name, err)
	}
	return out, nil
}

// splitList splits a comma-separated list; "-" is the empty list.
func splitList(s string) []string {
	if s == "-" {
		return nil
	}
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
