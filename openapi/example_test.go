package openapi_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/openapi"
)

// A small pets API becomes a tool, a resource and a resource template. The
// API runs in-process here; in practice it is a remote service and the
// document comes from openapi.Fetch or a file.
func Example() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/pets":
			fmt.Fprint(w, `[{"id":1,"name":"Rex"}]`)
		case r.Method == http.MethodGet && r.URL.Path == "/pets/1":
			fmt.Fprint(w, `{"id":1,"name":"Rex"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/pets":
			fmt.Fprintf(w, `{"id":2,"name":%q}`, r.URL.Query().Get("name"))
		default:
			http.Error(w, `{"message":"no such pet"}`, http.StatusNotFound)
		}
	}))
	defer api.Close()

	doc, err := openapi.Parse([]byte(`
openapi: 3.1.0
info: {title: Pets, version: "1.0"}
servers: [{url: "` + api.URL + `"}]
paths:
  /pets:
    get:
      operationId: listPets
      summary: List the pets.
      responses: {"200": {description: The pets, content: {application/json: {}}}}
    post:
      operationId: addPet
      summary: Add a pet.
      parameters: [{name: name, in: query, required: true, schema: {type: string}}]
      responses: {"200": {description: The pet, content: {application/json: {}}}}
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Get a pet.
      parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
      responses: {"200": {description: The pet, content: {application/json: {}}}}
`))
	if err != nil {
		log.Fatal(err)
	}
	server := fastmcp.New(fastmcp.Options{Name: "pets", Version: "1.0.0"})
	components, err := openapi.Register(server, doc, openapi.Options{RouteMaps: openapi.ResourceRoutes()})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range components {
		line := fmt.Sprintf("%s %s -> %s %s", c.Operation.Method, c.Operation.Path, c.Kind, c.Name)
		if c.URI != "" {
			line += " at " + c.URI
		}
		fmt.Println(line)
	}

	// A client: here in-process; server.Start(ctx, fastmcp.HTTP{...})
	// serves it to any.
	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	res, err := client.CallTool(ctx, "addPet", map[string]any{"name": "Tom"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.StructuredContent)
	read, err := client.ReadResource(ctx, "openapi://pets/1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(read.Contents[0].Text)
	// Output:
	// GET /pets -> resource listPets at openapi://pets
	// POST /pets -> tool addPet
	// GET /pets/{petId} -> resource template getPet at openapi://pets/{petId}
	// map[id:2 name:Tom]
	// {"id":1,"name":"Rex"}
}
