module github.com/fastmcp-go/fastmcp/bench

go 1.26.0

replace (
	github.com/fastmcp-go/fastmcp => ../
	github.com/fastmcp-go/fastmcp/proxy => ../proxy
	github.com/fastmcp-go/fastmcp/redisstore => ../redisstore
)

require (
	github.com/fastmcp-go/fastmcp v0.0.0-00010101000000-000000000000
	github.com/fastmcp-go/fastmcp/proxy v0.0.0-00010101000000-000000000000
	github.com/fastmcp-go/fastmcp/redisstore v0.0.0-00010101000000-000000000000
	github.com/mark3labs/mcp-go v1.2.1
	github.com/modelcontextprotocol/go-sdk v1.8.0
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/jsonschema-go v0.4.3 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2 // indirect
	github.com/segmentio/asm v1.1.3 // indirect
	github.com/segmentio/encoding v0.5.4 // indirect
	github.com/spf13/cast v1.7.1 // indirect
	github.com/yosida95/uritemplate/v3 v3.0.2 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.40.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
