module github.com/fastmcp-go/fastmcp/cmd/fastmcp

go 1.26.0

require (
	github.com/creack/pty v1.1.24
	github.com/fastmcp-go/fastmcp v0.0.0
	github.com/modelcontextprotocol/go-sdk v1.8.0
	github.com/yosida95/uritemplate/v3 v3.0.2
	golang.org/x/term v0.40.0
)

require github.com/golang-jwt/jwt/v5 v5.3.1 // indirect

require (
	github.com/fastmcp-go/fastmcp/proxy v0.0.0-00010101000000-000000000000
	github.com/google/jsonschema-go v0.4.3 // indirect
	github.com/segmentio/asm v1.1.3 // indirect
	github.com/segmentio/encoding v0.5.4 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)

replace github.com/fastmcp-go/fastmcp => ../../

replace github.com/fastmcp-go/fastmcp/proxy => ../../proxy
