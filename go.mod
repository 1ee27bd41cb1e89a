module github.com/fastmcp-go/fastmcp

go 1.26

require (
	github.com/google/jsonschema-go v0.4.3 // indirect
	github.com/yosida95/uritemplate/v3 v3.0.2 // indirect
)
