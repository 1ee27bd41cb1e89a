package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/fastmcp-go/fastmcp/oauth"
	"github.com/redis/go-redis/v9"
)

// OAuthStore is an oauth.Store on Redis, so that an OAuth proxy's clients,
// transactions, codes and tokens are shared by every replica: one string key
// per entry, named Prefix + "oauth:" + the proxy's key, expiring with the
// entry. Take is GETDEL (Redis 6.2 or later), so of concurrent Takes of a
// code exactly one, on any replica, gets it.
type OAuthStore struct {
	c      redis.UniversalClient
	prefix string
}

// NewOAuthStore returns an OAuthStore on client; of opts only Prefix is
// used (default "fastmcp:").
func NewOAuthStore(client redis.UniversalClient, opts Options) *OAuthStore {
	if client == nil {
		panic("redisstore: NewOAuthStore with a nil client")
	}
	return &OAuthStore{c: client, prefix: opts.withDefaults().Prefix + "oauth:"}
}

var _ oauth.Store = (*OAuthStore)(nil)

// Put implements oauth.Store.
func (s *OAuthStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	var exp time.Duration
	if ttl > 0 {
		exp = time.Duration(ms(ttl)) * time.Millisecond
	}
	return fail(ctx, "oauth Put", s.c.Set(ctx, s.prefix+key, value, exp).Err())
}

// Get implements oauth.Store.
func (s *OAuthStore) Get(ctx context.Context, key string) ([]byte, error) {
	return s.value(ctx, "oauth Get", s.c.Get(ctx, s.prefix+key))
}

// Take implements oauth.Store.
func (s *OAuthStore) Take(ctx context.Context, key string) ([]byte, error) {
	return s.value(ctx, "oauth Take", s.c.GetDel(ctx, s.prefix+key))
}

// Delete implements oauth.Store.
func (s *OAuthStore) Delete(ctx context.Context, key string) error {
	return fail(ctx, "oauth Delete", s.c.Del(ctx, s.prefix+key).Err())
}

func (s *OAuthStore) value(ctx context.Context, op string, cmd *redis.StringCmd) ([]byte, error) {
	v, err := cmd.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, oauth.ErrNotFound
	}
	if err != nil {
		return nil, fail(ctx, op, err)
	}
	return v, nil
}
