// Package openapi turns an OpenAPI 3.0 or 3.1 description of an HTTP API into
// MCP tools, resources and resource templates of a fastmcp.Server, whose
// handlers call the API.
//
//	doc, err := openapi.Fetch(ctx, nil, "https://petstore3.swagger.io/api/v3/openapi.json")
//	if err != nil { ... }
//	components, err := openapi.Register(server, doc, openapi.Options{
//		Headers:   http.Header{"Api_key": {key}},
//		RouteMaps: openapi.ResourceRoutes(), // GET operations as resources
//	})
//
// # Tools
//
// Each operation becomes a tool named after its operationId (see Register).
// Its description is the operation's summary and description; its
// annotations follow the method (GET, HEAD, OPTIONS read only; DELETE
// destructive and idempotent; PUT idempotent). Its input schema has one
// property per parameter (path, query, header and cookie) and, for a JSON
// or form-urlencoded body whose schema is an object (or an allOf of objects),
// one property per body property; any other body (an array, a string, a
// oneOf) is the single argument "body". A text or octet-stream body is a
// string argument "body" sent as is. Body properties keep their names; a
// parameter whose name is also a body property's, or another parameter's (a
// path id and a query id), is named name__in: id__path, id__query. Arguments
// that are none of these are refused, unless the body schema declares
// additionalProperties (then they go into the body).
//
// Schemas are translated to JSON Schema 2020-12 (the file schema.go says
// how): references become $defs of the tool's schema, OpenAPI 3.0's nullable
// becomes a type list, and what a validator cannot use is dropped. A
// reference cycle that never nests a value (A: {allOf: [{$ref: A}]}) cannot
// validate anything; an operation using one is skipped (Component.Err).
//
// A call builds the request: path parameters escaped (a value holding a "."
// or ".." segment is refused, "/" is sent as %2F), query parameters in the
// styles form (exploded or not), spaceDelimited, pipeDelimited and
// deepObject, path parameters in the styles simple, label and matrix, header
// and cookie parameters, and the body. It sends it with Options.Client,
// after Options.Headers and Options.Authorize, within Options.Timeout. A 2xx
// JSON object answer becomes structuredContent and its text; other JSON and
// text become text; an image or audio body that content. A body longer than
// Options.MaxResponseBytes is cut, with a closing line saying so. Any other
// status is a result with isError naming the status and quoting the start of
// the body (Options.MaxErrorBytes); a failed exchange or a timeout is a
// result with isError saying so.
//
// # Resources and templates
//
// Options.RouteMaps can make operations resources (a GET without required
// parameters, read at Options.URIPrefix plus its path) or resource templates
// (path parameters as path variables, query parameters as the template's
// query: openapi://pet/{petId}, openapi://pet/findByTags{?tags*}).
// ResourceRoutes does this for every GET operation it can.
//
// # What is not supported
//
//   - Swagger 2.0 documents (convert them first), and references to other
//     files or URLs (bundle the document first): they are refused, so that a
//     document cannot make the server read files or reach other hosts.
//   - multipart/form-data and other non-JSON, non-form bodies that are not
//     text: an operation that requires one is skipped, one that merely
//     accepts one gets no body argument.
//   - security schemes are not applied from the document: give credentials
//     with Options.Headers or Options.Authorize.
//   - callbacks, webhooks, links, response headers and output schemas (API
//     answers often stray from their documented schema; the result is not
//     validated against it).
//   - XML bodies are sent as strings, not built from schemas.
//
// # The parser
//
// Documents are parsed with github.com/getkin/kin-openapi, measured against
// github.com/pb33f/libopenapi on the same documents (Go 1.26, 2 cores, one
// run of go test -bench, best of 3):
//
//	                                       kin-openapi v0.153.0   libopenapi v0.42.5
//	modules added to `go list -m all` of   15                     13
//	  a module importing fastmcp
//	modules linked into a binary           6                      7
//	binary size added to a fastmcp server  +3.4 MB                +9.0 MB
//	parse, Swagger Petstore 3 (23 KB YAML) 2.8 ms                 4.8 ms
//	parse, Twilio API v2010 (1.9 MB JSON)  500 ms                 58 ms
//	parse, Twilio API v2010 (1.5 MB YAML)  116 ms                 93 ms
//	parse, Box Platform API (1.8 MB JSON)  263 ms                 84 ms
//
// Both read 3.0 and 3.1 (type lists, const, prefixItems, examples, numeric
// exclusiveMinimum), refuse external references by default, and survive
// cyclic references, YAML alias bombs and 200,000-deep nesting.
// kin-openapi was chosen for the binary and dependency set it adds, and
// because references stay visible ({"$ref": ...}) when its schemas are
// marshalled, which the translation to $defs builds on. Its cost is start-up
// time on large JSON documents (it tries YAML first): a fraction of a second,
// once. With it, Register makes tools of all 197 operations of Twilio's
// document and all 296 of Box's, none skipped, in about 0.4 s each.
package openapi
