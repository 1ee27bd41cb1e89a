package oauth

import "github.com/fastmcp-go/fastmcp/internal/testhooks"

func init() {
	testhooks.AllowPrivateCIMD = func(p any) { p.(*Proxy).cimd.allowPrivate.Store(true) }
}
