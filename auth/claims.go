package auth

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// userFromClaims maps the claims of a JWT or an introspection response to a
// User; Claims gets the claims not used for a field.
func userFromClaims(c map[string]any, rolesClaim string) *User {
	u := &User{}
	used := map[string]bool{}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := c[k].(string); ok && v != "" {
				used[k] = true
				return v
			}
		}
		return ""
	}
	u.Subject = first("sub", "username", "client_id", "azp")
	u.Name = first("name", "preferred_username", "username")
	u.Email = first("email")
	u.ClientID = first("client_id", "azp")
	for _, k := range []string{"scope", "scp"} {
		if v, ok := c[k]; ok {
			u.Scopes = stringList(v)
			used[k] = true
			break
		}
	}
	if v, ok := c[rolesClaim]; ok {
		u.Roles = stringList(v)
		used[rolesClaim] = true
	} else if v, ok := claimPath(c, rolesClaim); ok {
		u.Roles = stringList(v)
	}
	if exp, ok := numericDate(c["exp"]); ok {
		u.ExpiresAt = exp
		used["exp"] = true
	}
	for k, v := range c {
		if !used[k] {
			if u.Claims == nil {
				u.Claims = make(map[string]any, len(c)-len(used))
			}
			u.Claims[k] = v
		}
	}
	return u
}

// claimPath walks a dotted path ("realm_access.roles") into nested objects.
func claimPath(c map[string]any, path string) (any, bool) {
	if !strings.Contains(path, ".") {
		return nil, false
	}
	var cur any = c
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// numericDate reads a JSON NumericDate (seconds since the epoch).
func numericDate(v any) (time.Time, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// finishUser runs the claims mapper, then checks the subject and the
// required scopes.
func finishUser(claims map[string]any, u *User, required []string, mapper ClaimsMapper) error {
	if mapper != nil {
		if err := mapper(claims, u); err != nil {
			var he *fastmcp.HTTPError
			if errors.As(err, &he) {
				return err
			}
			return errInvalid("token claims not accepted", err)
		}
	}
	if u.Subject == "" {
		return errInvalid("token has no subject", nil)
	}
	for _, s := range required {
		if !u.HasScope(s) {
			return errInsufficientScope(required)
		}
	}
	return nil
}
