package openapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/fastmcp-go/fastmcp/openapi"
)

// The Swagger Petstore 3 document, registered with the default options
// (every operation a tool), served over Streamable HTTP and driven by the
// official Go SDK client against a Pet Store server.
func TestPetstoreTools(t *testing.T) {
	t.Parallel()
	store, base := newPetStore(t)
	doc := parseFile(t, "petstore.yaml")
	s, comps := register(t, doc, openapi.Options{BaseURL: base, Headers: http.Header{"Api_key": {"special-key"}}})
	if len(comps) != 19 {
		t.Fatalf("%d components, want the document's 19 operations", len(comps))
	}
	cs := connect(t, serveMCP(t, s), nil)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tools := map[string]*mcp.Tool{}
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		tools[tool.Name] = tool
	}
	wantNames := []string{"addPet", "createUser", "createUsersWithListInput", "deleteOrder", "deletePet", "deleteUser",
		"findPetsByStatus", "findPetsByTags", "getInventory", "getOrderById", "getPetById", "getUserByName", "loginUser",
		"logoutUser", "placeOrder", "updatePet", "updatePetWithForm", "updateUser", "uploadFile"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Fatalf("tool names (-want +got):\n%s", diff)
	}

	t.Run("schema and annotations", func(t *testing.T) {
		add := tools["addPet"]
		if add.Description != "Add a new pet to the store.\n\nRequest body: Create a new pet in the store" {
			t.Errorf("description %q", add.Description)
		}
		schema := toMap(t, add.InputSchema)
		if diff := cmp.Diff([]any{"name", "photoUrls"}, schema["required"]); diff != "" {
			t.Errorf("required (-want +got):\n%s", diff)
		}
		props := schema["properties"].(map[string]any)
		if diff := cmp.Diff(map[string]any{"$ref": "#/$defs/Category"}, props["category"]); diff != "" {
			t.Errorf("category (-want +got):\n%s", diff)
		}
		defs := schema["$defs"].(map[string]any)
		if _, ok := defs["Category"]; !ok {
			t.Errorf("no $defs/Category in %v", defs)
		}
		if schema["additionalProperties"] != false {
			t.Errorf("additionalProperties %v", schema["additionalProperties"])
		}
		for name, want := range map[string]mcp.ToolAnnotations{
			"getPetById": {ReadOnlyHint: true, OpenWorldHint: ptr(true)},
			"deletePet":  {DestructiveHint: ptr(true), IdempotentHint: true, OpenWorldHint: ptr(true)},
			"updatePet":  {IdempotentHint: true, OpenWorldHint: ptr(true)},
			"addPet":     {OpenWorldHint: ptr(true)},
		} {
			if diff := cmp.Diff(&want, tools[name].Annotations); diff != "" {
				t.Errorf("%s annotations (-want +got):\n%s", name, diff)
			}
		}
	})

	t.Run("JSON body", func(t *testing.T) {
		res := call(t, cs, "addPet", map[string]any{
			"id": 10, "name": "doggie", "photoUrls": []string{"a.jpg"}, "status": "available",
			"category": map[string]any{"id": 1, "name": "Dogs"}, "tags": []any{map[string]any{"id": 3, "name": "new"}},
		})
		mustOK(t, res)
		got := structured(t, res)
		want := map[string]any{"id": 10.0, "name": "doggie", "photoUrls": []any{"a.jpg"}, "status": "available",
			"category": map[string]any{"id": 1.0, "name": "Dogs"}, "tags": []any{map[string]any{"id": 3.0, "name": "new"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("structured content (-want +got):\n%s", diff)
		}
		if !json.Valid([]byte(textOf(res))) {
			t.Errorf("text %q is not the JSON answer", textOf(res))
		}
		req := store.rec.last(t)
		if req.Method != "POST" || req.Path != "/api/v3/pet" || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %q", req.Method, req.Path, req.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(req.Header.Get("Accept"), "application/json") {
			t.Errorf("Accept %q", req.Header.Get("Accept"))
		}
		var sent map[string]any
		if err := json.Unmarshal(req.Body, &sent); err != nil || sent["name"] != "doggie" || len(sent) != 6 {
			t.Errorf("body %s (%v)", req.Body, err)
		}
	})

	t.Run("missing required body property", func(t *testing.T) {
		before := store.rec.count()
		res := call(t, cs, "addPet", map[string]any{"name": "x"})
		mustError(t, res, "photoUrls")
		if store.rec.count() != before {
			t.Error("an invalid call reached the API")
		}
	})

	t.Run("path parameter", func(t *testing.T) {
		res := call(t, cs, "getPetById", map[string]any{"petId": 1})
		mustOK(t, res)
		if got := structured(t, res)["name"]; got != "Rex" {
			t.Errorf("name %v", got)
		}
		if p := store.rec.last(t).Path; p != "/api/v3/pet/1" {
			t.Errorf("path %q", p)
		}
	})

	t.Run("error status", func(t *testing.T) {
		res := call(t, cs, "getPetById", map[string]any{"petId": 999})
		mustError(t, res, "404 Not Found", "Pet not found", "GET /pet/{petId}")
		if res.StructuredContent != nil {
			t.Errorf("an error has structured content %v", res.StructuredContent)
		}
		res = call(t, cs, "placeOrder", map[string]any{"id": 1, "petId": 404})
		mustError(t, res, "422", "no such pet")
	})

	t.Run("query array exploded", func(t *testing.T) {
		res := call(t, cs, "findPetsByTags", map[string]any{"tags": []string{"lazy", "new one"}})
		mustOK(t, res)
		if q := store.rec.last(t).Query; q != "tags=lazy&tags=new%20one" {
			t.Errorf("query %q", q)
		}
		var pets []pet
		if err := json.Unmarshal([]byte(textOf(res)), &pets); err != nil || len(pets) != 1 || pets[0].Name != "Tom" {
			t.Errorf("answer %s (%v)", textOf(res), err)
		}
		if res.StructuredContent != nil {
			t.Errorf("an array answer has structured content %v", res.StructuredContent)
		}
	})

	t.Run("query default and enum", func(t *testing.T) {
		res := call(t, cs, "findPetsByStatus", nil)
		mustOK(t, res)
		if q := store.rec.last(t).Query; q != "status=available" {
			t.Errorf("query %q: the schema's default should be sent", q)
		}
		mustError(t, call(t, cs, "findPetsByStatus", map[string]any{"status": "lost"}), "status")
	})

	t.Run("query parameters and form", func(t *testing.T) {
		res := call(t, cs, "updatePetWithForm", map[string]any{"petId": 2, "name": "Tom & Jerry", "status": "pending"})
		mustOK(t, res)
		if q := store.rec.last(t).Query; q != "name=Tom%20%26%20Jerry&status=pending" {
			t.Errorf("query %q", q)
		}
		if got := structured(t, res)["name"]; got != "Tom & Jerry" {
			t.Errorf("name %v", got)
		}
	})

	t.Run("header parameter and empty answer", func(t *testing.T) {
		res := call(t, cs, "deletePet", map[string]any{"petId": 2, "api_key": "delete-key"})
		mustOK(t, res)
		if got := textOf(res); got != "HTTP 200 OK (empty body)" {
			t.Errorf("text %q", got)
		}
		req := store.rec.last(t)
		if req.Method != "DELETE" || req.Header.Get("api_key") != "delete-key" {
			t.Errorf("request %s api_key %q: the parameter should override Options.Headers", req.Method, req.Header.Get("api_key"))
		}
		if slices.Contains(store.petNames(), "Tom & Jerry") {
			t.Error("the pet was not deleted")
		}
	})

	t.Run("static header", func(t *testing.T) {
		res := call(t, cs, "getInventory", nil)
		mustOK(t, res)
		if got := structured(t, res)["available"]; got != 2.0 { // Rex and doggie
			t.Errorf("inventory %v", structured(t, res))
		}
	})

	t.Run("octet-stream body", func(t *testing.T) {
		res := call(t, cs, "uploadFile", map[string]any{"petId": 1, "additionalMetadata": "front", "body": "PNG…bytes"})
		mustOK(t, res)
		req := store.rec.last(t)
		if string(req.Body) != "PNG…bytes" || req.Header.Get("Content-Type") != "application/octet-stream" || req.Query != "additionalMetadata=front" {
			t.Errorf("request body %q type %q query %q", req.Body, req.Header.Get("Content-Type"), req.Query)
		}
	})

	t.Run("array body", func(t *testing.T) {
		res := call(t, cs, "createUsersWithListInput", map[string]any{"body": []any{
			map[string]any{"username": "u1"}, map[string]any{"username": "u2", "userStatus": 1}}})
		mustOK(t, res)
		if !store.hasUser("u1") || !store.hasUser("u2") {
			t.Errorf("users not created: %s", textOf(res))
		}
		if body := string(store.rec.last(t).Body); body != `[{"username":"u1"},{"userStatus":1,"username":"u2"}]` {
			t.Errorf("body %s", body)
		}
	})

	t.Run("JSON string answer", func(t *testing.T) {
		res := call(t, cs, "loginUser", map[string]any{"username": "user1", "password": "pw"})
		mustOK(t, res)
		if got := textOf(res); got != `"logged in user session: user1"`+"\n" {
			t.Errorf("text %q", got)
		}
		mustError(t, call(t, cs, "loginUser", map[string]any{"username": "nobody"}), "400", "Invalid username/password")
	})

	t.Run("path parameter with slash and dots", func(t *testing.T) {
		res := call(t, cs, "createUser", map[string]any{"username": "a/b?c#d", "firstName": "Slash"})
		mustOK(t, res)
		res = call(t, cs, "getUserByName", map[string]any{"username": "a/b?c#d"})
		mustOK(t, res)
		if got := structured(t, res)["firstName"]; got != "Slash" {
			t.Errorf("user %v", structured(t, res))
		}
		if p := store.rec.last(t).Path; p != "/api/v3/user/a%2Fb%3Fc%23d" {
			t.Errorf("path %q", p)
		}
		before := store.rec.count()
		for _, bad := range []string{"..", ".", "../admin", "a/../../admin", `..\admin`} {
			mustError(t, call(t, cs, "deleteUser", map[string]any{"username": bad}), "Invalid arguments", "path segment")
		}
		if store.rec.count() != before {
			t.Error("a dot segment reached the API")
		}
		// Dots inside a segment are harmless.
		mustError(t, call(t, cs, "getUserByName", map[string]any{"username": "..."}), "404")
	})

	t.Run("put with path parameter and body", func(t *testing.T) {
		// The path parameter username and the body property username collide:
		// the parameter becomes username__path.
		props := toMap(t, tools["updateUser"].InputSchema)["properties"].(map[string]any)
		if d := props["username__path"].(map[string]any)["description"]; d != `The path parameter "username". name that need to be deleted` {
			t.Errorf("username__path description %q", d)
		}
		res := call(t, cs, "updateUser", map[string]any{"username__path": "user1", "username": "grace", "firstName": "Grace"})
		mustOK(t, res)
		req := store.rec.last(t)
		if req.Path != "/api/v3/user/user1" || string(req.Body) != `{"firstName":"Grace","username":"grace"}` {
			t.Errorf("request %s %s", req.Path, req.Body)
		}
		if !store.hasUser("grace") || store.hasUser("user1") {
			t.Error("the user was not renamed")
		}
	})
}

// The same document with ResourceRoutes: GET operations become resources and
// resource templates, read through the Go SDK client.
func TestPetstoreResources(t *testing.T) {
	t.Parallel()
	store, base := newPetStore(t)
	doc := parseFile(t, "petstore.yaml")
	s, comps := register(t, doc, openapi.Options{BaseURL: base, Headers: http.Header{"Api_key": {"special-key"}}, RouteMaps: openapi.ResourceRoutes()})
	kinds := map[string]openapi.Kind{}
	for _, c := range comps {
		kinds[c.Name] = c.Kind
	}
	for name, want := range map[string]openapi.Kind{
		"getInventory": openapi.AsResource, "logoutUser": openapi.AsResource,
		"getPetById": openapi.AsResourceTemplate, "getUserByName": openapi.AsResourceTemplate, "getOrderById": openapi.AsResourceTemplate,
		"findPetsByTags": openapi.AsTool, "addPet": openapi.AsTool,
	} {
		if kinds[name] != want {
			t.Errorf("%s is a %v, want a %v", name, kinds[name], want)
		}
	}
	cs := connect(t, serveMCP(t, s), nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	resources, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range resources.Resources {
		uris = append(uris, r.URI)
	}
	if diff := cmp.Diff([]string{"openapi://store/inventory", "openapi://user/logout"}, uris); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	templates, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tmpls []string
	for _, r := range templates.ResourceTemplates {
		tmpls = append(tmpls, r.URITemplate)
		if r.URITemplate == "openapi://pet/{petId}" && r.MIMEType != "application/json" {
			t.Errorf("template MIME type %q", r.MIMEType)
		}
	}
	if diff := cmp.Diff([]string{"openapi://pet/{petId}", "openapi://store/order/{orderId}", "openapi://user/{username}"}, tmpls); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 14 {
		t.Errorf("%d tools, want 19 operations less 5 resources and templates", len(tools.Tools))
	}

	read := func(uri string) (*mcp.ReadResourceResult, error) {
		return cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
	}
	res, err := read("openapi://store/inventory")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != "application/json" || !strings.Contains(res.Contents[0].Text, `"available":1`) {
		t.Errorf("inventory %+v", res.Contents[0])
	}
	res, err = read("openapi://user/logout")
	if err != nil || res.Contents[0].Text != "User logged out" || res.Contents[0].MIMEType != "text/plain" {
		t.Errorf("logout %+v %v", res, err)
	}
	res, err = read("openapi://pet/2")
	if err != nil {
		t.Fatal(err)
	}
	var p pet
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &p); err != nil || p.Name != "Tom" || res.Contents[0].URI != "openapi://pet/2" {
		t.Errorf("pet %+v (%v)", res.Contents[0], err)
	}
	if _, err := read("openapi://pet/999"); err == nil || !strings.Contains(err.Error(), "Pet not found") || !strings.Contains(err.Error(), "404") {
		t.Errorf("reading a missing pet: %v", err)
	}
	res, err = read("openapi://user/a%2Fb")
	if err == nil || !strings.Contains(err.Error(), "User not found") {
		t.Errorf("reading user a/b: %v %+v", err, res)
	}
	if got := store.rec.last(t).Path; got != "/api/v3/user/a%2Fb" {
		t.Errorf("path %q", got)
	}
	before := store.rec.count()
	if _, err := read("openapi://user/.."); err == nil || !strings.Contains(err.Error(), "path segment") {
		t.Errorf("reading user ..: %v", err)
	}
	if store.rec.count() != before {
		t.Error("a dot segment reached the API")
	}
}

// Options.Authorize with ForwardBearer sends the MCP caller's token to the
// API.
func TestPetstoreForwardBearer(t *testing.T) {
	t.Parallel()
	store, base := newPetStore(t)
	doc := parseFile(t, "petstore.yaml")
	s := fastmcp.New(fastmcp.Options{Name: "openapi-auth", Version: "1.0.0",
		Authenticate: fastmcp.AuthFunc[*auth.User](func(r *http.Request) (*auth.User, error) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				return nil, fastmcp.ErrUnauthenticated
			}
			return &auth.User{Subject: "caller", Token: tok}, nil
		})})
	if _, err := openapi.Register(s, doc, openapi.Options{BaseURL: base, Authorize: openapi.ForwardBearer(nil)}); err != nil {
		t.Fatal(err)
	}
	cs := connect(t, serveMCP(t, s), http.Header{"Authorization": {"Bearer caller-token-1"}})
	mustOK(t, call(t, cs, "getPetById", map[string]any{"petId": 1}))
	if got := store.rec.last(t).Header.Get("Authorization"); got != "Bearer caller-token-1" {
		t.Errorf("the API received Authorization %q", got)
	}

	// An Authorize error fails the call with its message.
	s2 := fastmcp.New(fastmcp.Options{Name: "openapi-auth2", Version: "1.0.0"})
	if _, err := openapi.Register(s2, doc, openapi.Options{BaseURL: base, Authorize: func(*fastmcp.Context, *http.Request) error {
		return fastmcp.NewUserError("no credentials for the pet store")
	}}); err != nil {
		t.Fatal(err)
	}
	before := store.rec.count()
	mustError(t, call(t, connect(t, serveMCP(t, s2), nil), "getPetById", map[string]any{"petId": 1}), "no credentials for the pet store")
	if store.rec.count() != before {
		t.Error("a refused request reached the API")
	}
}

func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// Route maps: the first matching rule decides, by method, path, tag,
// operationId or a function; unmatched operations are tools.
func TestRouteMaps(t *testing.T) {
	t.Parallel()
	store, base := newPetStore(t)
	doc := parseFile(t, "petstore.yaml")
	routes := []openapi.RouteMap{
		{Tags: []string{"user"}, Methods: []string{"delete", "PUT"}, Kind: openapi.Exclude},
		{OperationIDs: []string{"findPetsByTags", "findPetsByStatus", "loginUser"}, Kind: openapi.AsResourceTemplate},
		{Path: `^/store/`, Methods: []string{"GET"}, Kind: openapi.AsResourceTemplate},
		{Match: func(op *openapi.Operation) bool { return op.BodyRequired && op.Method == "PUT" }, Kind: openapi.Exclude},
		{Path: `^/user/log`, Kind: openapi.AsResource},
	}
	s, comps := register(t, doc, openapi.Options{BaseURL: base, Headers: http.Header{"Api_key": {"special-key"}}, RouteMaps: routes})
	got := map[string]string{}
	for _, c := range comps {
		got[c.Operation.OperationID] = c.Kind.String() + " " + c.URI
	}
	want := map[string]string{
		"deleteUser": "excluded ", "updateUser": "excluded ", // by tag and method
		"findPetsByTags":   "resource template openapi://pet/findByTags{?tags*}",
		"findPetsByStatus": "resource template openapi://pet/findByStatus{?status}",
		"getInventory":     "resource openapi://store/inventory", // no parameter: a resource
		"getOrderById":     "resource template openapi://store/order/{orderId}",
		"updatePet":        "excluded ",
		"loginUser":        "resource template openapi://user/login{?username,password}", // query parameters: a template
		"logoutUser":       "resource openapi://user/logout",
		"addPet":           "tool ",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %q, want %q", id, got[id], w)
		}
	}
	cs := connect(t, serveMCP(t, s), nil)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "openapi://pet/findByTags?tags=lazy&tags=good"})
	if err != nil {
		t.Fatal(err)
	}
	var pets []pet
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &pets); err != nil || len(pets) != 2 {
		t.Errorf("pets %s (%v)", res.Contents[0].Text, err)
	}
	if q := store.rec.last(t).Query; q != "tags=lazy&tags=good" {
		t.Errorf("query %q", q)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "openapi://pet/findByStatus?status=sold"}); err != nil {
		t.Fatal(err)
	}
	if q := store.rec.last(t).Query; q != "status=sold" {
		t.Errorf("query %q", q)
	}
	// The schema's default fills a query variable the URI leaves out.
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "openapi://pet/findByStatus"}); err != nil {
		t.Fatal(err)
	}
	if q := store.rec.last(t).Query; q != "status=available" {
		t.Errorf("query %q", q)
	}
	res, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "openapi://user/login?username=user1&password=pw"})
	if err != nil || !strings.Contains(res.Contents[0].Text, "logged in user session: user1") {
		t.Errorf("login %+v %v", res, err)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if tool.Name == "deleteUser" || tool.Name == "updatePet" || tool.Name == "getInventory" {
			t.Errorf("%s is listed as a tool", tool.Name)
		}
	}
}
