// Command everything is a FastMCP server that exposes every fixture the
// official MCP conformance suite expects from an "everything" server: tools
// returning each kind of content, logging, progress and errors; text, binary,
// subscribable and templated resources; prompts with arguments, embedded
// resources and images; and argument completion.
//
// The command line or the environment chooses the transport (see fastmcp.Auto):
//
//	go run ./examples/everything                                   # stdio
//	go run ./examples/everything --transport http --port 8080      # Streamable HTTP
//	FASTMCP_TRANSPORT=http FASTMCP_STATELESS=true go run ./examples/everything
//	go run ./examples/everything --help                            # the flags
//
// Several processes of it are replicas of one server when they share Redis and
// a secret (store.go):
//
//	FASTMCP_REDIS_URL=redis://127.0.0.1:6379 FASTMCP_SECRET=... go run ./examples/everything --transport http --port 8081
//
// Run the official conformance suite against it over HTTP:
//
//	npx @modelcontextprotocol/conformance@0.1.16 server --url http://127.0.0.1:8080/mcp --suite all
//
// It doubles as a tour of the API: each fixture is registered in newServer in
// the most direct way FastMCP offers.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// URIs of the fixture resources.
const (
	staticTextURI   = "test://static-text"
	staticBinaryURI = "test://static-binary"
	watchedURI      = "test://watched-resource"
	templateURI     = "test://template/{id}/data"
)

// watchedInterval is how often subscribers of the watched resource are told
// it changed.
const watchedInterval = 3 * time.Second

func main() {
	stop := startTelemetry()
	defer stop()
	server := newServer()
	instrument(server)

	// Tell subscribers of the watched resource, every few seconds, that it
	// changed. ResourceUpdated only notifies sessions that subscribed to the
	// URI, so this costs nothing while nobody watches.
	go func() {
		for range time.Tick(watchedInterval) {
			server.ResourceUpdated(watchedURI)
		}
	}()

	// Start with a nil transport lets the command line and environment
	// choose: stdio by default, or Streamable HTTP. It serves until the input
	// closes or the process receives SIGINT or SIGTERM, then lets in-flight
	// requests finish.
	if err := server.Start(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
}

// newServer returns the server with every fixture registered.
func newServer() *fastmcp.Server {
	opts := fastmcp.Options{
		Name:         "fastmcp-everything",
		Version:      "1.0.0",
		Instructions: "A test server exposing the MCP conformance fixtures.",
		// Trace context into sampling, elicitation and roots requests
		// (telemetry.go).
		ClientRequestMeta: clientRequestMeta,
	}
	// A replica of a cluster on Redis when FASTMCP_REDIS_URL is set
	// (store.go).
	clusterOptions(&opts)
	server := fastmcp.New(opts)
	addTools(server)
	addResources(server)
	addPrompts(server)
	addModernFixtures(server)
	addTaskFixtures(server)
	return server
}

// addTools registers the fixture tools.
func addTools(server *fastmcp.Server) {
	// A tool without arguments takes fastmcp.NoArgs. A string result
	// becomes one text block. Clients may omit "arguments" entirely: it is
	// read as {}.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_simple_text",
		Description: "Returns a simple text response.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "This is a simple text response for testing.", nil
	})

	// A result of one content block: an image.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_image_content",
		Description: "Returns a 1x1 PNG image.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (fastmcp.Content, error) {
		return fastmcp.Image(pixelPNG, "image/png"), nil
	})

	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_audio_content",
		Description: "Returns a short silent WAV clip.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (fastmcp.Content, error) {
		return fastmcp.Audio(silentWAV, "audio/wav"), nil
	})

	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_embedded_resource",
		Description: "Returns an embedded text resource.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (fastmcp.Content, error) {
		return fastmcp.Embed(&fastmcp.ResourceContents{
			URI:      "test://embedded-resource",
			MIMEType: "text/plain",
			Text:     "This is an embedded resource content.",
		}), nil
	})

	// Several blocks: return []fastmcp.Content.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_multiple_content_types",
		Description: "Returns text, an image and an embedded resource.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) ([]fastmcp.Content, error) {
		return []fastmcp.Content{
			fastmcp.Text("Multiple content types test:"),
			fastmcp.Image(pixelPNG, "image/png"),
			fastmcp.Embed(&fastmcp.ResourceContents{
				URI:      "test://mixed-content-resource",
				MIMEType: "application/json",
				Text:     `{"test":"data","value":123}`,
			}),
		}, nil
	})

	// Log messages go to the client on the request's own stream, filtered by
	// the level the client set with logging/setLevel.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_tool_with_logging",
		Description: "Sends three info log messages while it runs.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Info("Tool execution started")
		if err := pause(ctx, 50*time.Millisecond); err != nil {
			return "", err
		}
		ctx.Info("Tool processing data")
		if err := pause(ctx, 50*time.Millisecond); err != nil {
			return "", err
		}
		ctx.Info("Tool execution completed")
		return "Tool with logging executed successfully", nil
	})

	// A *UserError becomes a result with isError and the message as text:
	// the model sees it, the call itself succeeds.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_error_handling",
		Description: "Always fails with a tool error (isError: true).",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "", fastmcp.NewUserError("This tool intentionally returns an error for testing")
	})

	// Progress reaches the client only when the call carries a progress
	// token; without one ReportProgress does nothing.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_tool_with_progress",
		Description: "Reports progress 0, 50 and 100 of 100 while it runs.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		for i, p := range []float64{0, 50, 100} {
			if i > 0 {
				if err := pause(ctx, 50*time.Millisecond); err != nil {
					return "", err
				}
			}
			err := ctx.ReportProgress(fastmcp.Progress{Progress: p, Total: 100, Message: fmt.Sprintf("step %d of 3", i+1)})
			if err != nil {
				return "", err
			}
		}
		return "Progress test completed", nil
	})

	// A hand-written JSON Schema is sent exactly as given, "$schema", "$defs"
	// and "$ref" included, and arguments are validated against it before
	// they are decoded into the handler's struct.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "json_schema_2020_12_tool",
		Description: "Takes arguments described by a JSON Schema 2020-12 document with $defs and $ref.",
		InputSchema: json.RawMessage(`{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"type": "object",
			"$defs": {
				"address": {
					"$anchor": "addressDef",
					"type": "object",
					"properties": {
						"street": {"type": "string"},
						"city": {"type": "string"}
					}
				}
			},
			"properties": {
				"name": {"type": "string"},
				"address": {"$ref": "#/$defs/address"},
				"contactMethod": {"type": "string", "enum": ["phone", "email"]},
				"phone": {"type": "string"},
				"email": {"type": "string"}
			},
			"allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
			"if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
			"then": {"required": ["phone"]},
			"else": {"required": ["email"]},
			"additionalProperties": false
		}`),
	}, func(ctx *fastmcp.Context, args personArgs) (string, error) {
		return fmt.Sprintf("Received: name=%q, street=%q, city=%q, contact=%s phone=%q email=%q",
			args.Name, args.Address.Street, args.Address.City, args.ContactMethod, args.Phone, args.Email), nil
	})

	// Sampling: ask the client's LLM, on the call's own stream. Without the
	// client's sampling capability, Sample fails at once and the error
	// becomes the tool's error result.
	fastmcp.AddTool(server, fastmcp.Tool{Name: "test_sampling", Description: "Tests server-initiated sampling (LLM completion request)"},
		func(ctx *fastmcp.Context, args samplingArgs) (string, error) {
			res, err := ctx.Sample(&fastmcp.CreateMessageParams{
				Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(args.Prompt)}},
				MaxTokens: 100,
			})
			if err != nil {
				return "", fastmcp.UserErrorf("sampling failed: %v", err)
			}
			text := ""
			if t, ok := res.Content.(*fastmcp.TextContent); ok {
				text = t.Text
			}
			return "LLM response: " + text, nil
		})

	// Elicitation: a form built from a struct. The answer is reported even
	// when the user declines or the elicitation fails.
	fastmcp.AddTool(server, fastmcp.Tool{Name: "test_elicitation", Description: "Tests server-initiated elicitation (user input request)"},
		func(ctx *fastmcp.Context, args elicitationArgs) (string, error) {
			res, err := fastmcp.ElicitForm[userInfo](ctx, args.Message)
			if err != nil {
				return "Elicitation failed: " + err.Error(), nil
			}
			content, _ := json.Marshal(res.Content)
			return fmt.Sprintf("User response: action=%s, content=%s", res.Action, content), nil
		})

	// SEP-1034: every primitive type with a default the client pre-fills.
	fastmcp.AddTool(server, fastmcp.Tool{Name: "test_elicitation_sep1034_defaults", Description: "Tests elicitation with default values for all primitive types (SEP-1034)"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			res, err := fastmcp.ElicitForm[defaultsForm](ctx, "Please review and update the form fields with defaults")
			if err != nil {
				return "Elicitation failed: " + err.Error(), nil
			}
			content, _ := json.Marshal(res.Content)
			return fmt.Sprintf("Elicitation completed: action=%s, content=%s", res.Action, content), nil
		})

	// SEP-1330: the five enum shapes. Four come from struct tags; the legacy
	// enumNames form is written out, as a raw schema can be.
	fastmcp.AddTool(server, fastmcp.Tool{Name: "test_elicitation_sep1330_enums", Description: "Tests elicitation with enum schema improvements (SEP-1330)"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			schema, err := fastmcp.FormSchema[enumsForm]()
			if err != nil {
				return "", err
			}
			schema["properties"].(map[string]any)["legacyEnum"] = map[string]any{
				"type":        "string",
				"description": "Legacy titled enum (enumNames)",
				"enum":        []string{"opt1", "opt2", "opt3"},
				"enumNames":   []string{"Option One", "Option Two", "Option Three"},
			}
			res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "Please select options from the enum fields", RequestedSchema: schema})
			if err != nil {
				return "Elicitation failed: " + err.Error(), nil
			}
			content, _ := json.Marshal(res.Content)
			return fmt.Sprintf("Elicitation completed: action=%s, content=%s", res.Action, content), nil
		})
}

// samplingArgs are the arguments of test_sampling.
type samplingArgs struct {
	Prompt string `json:"prompt" description:"The prompt to send to the LLM"`
}

// elicitationArgs are the arguments of test_elicitation.
type elicitationArgs struct {
	Message string `json:"message" description:"The message to show the user"`
}

// userInfo is the form of test_elicitation.
type userInfo struct {
	Username string `json:"username" description:"User's response"`
	Email    string `json:"email" description:"User's email address"`
}

// defaultsForm is the form of test_elicitation_sep1034_defaults.
type defaultsForm struct {
	Name     string  `json:"name,omitempty" description:"User name" default:"John Doe"`
	Age      int     `json:"age,omitempty" description:"User age" default:"30"`
	Score    float64 `json:"score,omitempty" description:"User score" default:"95.5"`
	Status   string  `json:"status,omitempty" description:"User status" enum:"active,inactive,pending" default:"active"`
	Verified bool    `json:"verified,omitempty" description:"Verification status" default:"true"`
}

// enumsForm is the form of test_elicitation_sep1330_enums, less the legacy
// enumNames field.
type enumsForm struct {
	UntitledSingle string   `json:"untitledSingle,omitempty" description:"Simple enum without titles" enum:"option1,option2,option3"`
	TitledSingle   string   `json:"titledSingle,omitempty" description:"Enum with titles (oneOf)" enum:"value1=First Option,value2=Second Option,value3=Third Option"`
	UntitledMulti  []string `json:"untitledMulti,omitempty" description:"Multi-select without titles" enum:"option1,option2,option3" minItems:"1" maxItems:"3"`
	TitledMulti    []string `json:"titledMulti,omitempty" description:"Multi-select with titles (anyOf)" enum:"value1=First Choice,value2=Second Choice,value3=Third Choice" minItems:"1" maxItems:"3"`
}

// personArgs are the arguments of json_schema_2020_12_tool. The tool's schema
// is explicit, so these tags only guide decoding.
type personArgs struct {
	Name    string `json:"name"`
	Address struct {
		Street string `json:"street"`
		City   string `json:"city"`
	} `json:"address"`
	ContactMethod string `json:"contactMethod"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
}

// addResources registers the fixture resources and the resource template.
func addResources(server *fastmcp.Server) {
	server.AddResource(fastmcp.Resource{
		URI:         staticTextURI,
		Name:        "static-text",
		Description: "A static text resource.",
		MIMEType:    "text/plain",
		Load:        fastmcp.StaticText("This is the content of the static text resource."),
	})

	server.AddResource(fastmcp.Resource{
		URI:         staticBinaryURI,
		Name:        "static-binary",
		Description: "A static binary resource: a 1x1 PNG image.",
		MIMEType:    "image/png",
		Load:        fastmcp.StaticBlob(pixelPNG),
	})

	// Every resource can be subscribed to; call Server.ResourceUpdated when
	// it changes (main does so on a timer for this one).
	server.AddResource(fastmcp.Resource{
		URI:         watchedURI,
		Name:        "watched-resource",
		Description: "A resource that subscribers are told changes every few seconds.",
		MIMEType:    "text/plain",
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			text := "Watched resource content, read at " + time.Now().UTC().Format(time.RFC3339Nano)
			return []*fastmcp.ResourceContents{{Text: text}}, nil
		},
	})

	// The template's variables are bound to the fields of the handler's
	// argument struct by their json tags.
	type templateArgs struct {
		ID string `json:"id"`
	}
	fastmcp.AddResourceTemplate(server, fastmcp.ResourceTemplate{
		URITemplate: templateURI,
		Name:        "template-data",
		Description: "JSON data for any id.",
		MIMEType:    "application/json",
	}, func(ctx *fastmcp.Context, uri string, args templateArgs) ([]*fastmcp.ResourceContents, error) {
		data, err := json.Marshal(map[string]any{
			"id":           args.ID,
			"templateTest": true,
			"data":         "Data for ID: " + args.ID,
		})
		if err != nil {
			return nil, err
		}
		return []*fastmcp.ResourceContents{{Text: string(data)}}, nil
	})
}

// addPrompts registers the fixture prompts.
func addPrompts(server *fastmcp.Server) {
	// A string result is one user text message.
	fastmcp.AddPrompt(server, fastmcp.Prompt{
		Name:        "test_simple_prompt",
		Description: "A prompt without arguments.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		return "This is a simple prompt for testing.", nil
	})

	// Arguments are declared explicitly here to attach a completer to arg1;
	// without Arguments they would be inferred from the struct.
	type withArgs struct {
		Arg1 string `json:"arg1"`
		Arg2 string `json:"arg2"`
	}
	fastmcp.AddPrompt(server, fastmcp.Prompt{
		Name:        "test_prompt_with_arguments",
		Description: "A prompt with two required arguments.",
		Arguments: []fastmcp.PromptArgument{
			{Name: "arg1", Description: "First test argument", Required: true, Complete: prefixCompleter("testValue1", "testValue2", "testing", "example")},
			{Name: "arg2", Description: "Second test argument", Required: true},
		},
	}, func(ctx *fastmcp.Context, args withArgs) (string, error) {
		return fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", args.Arg1, args.Arg2), nil
	})

	type embeddedArgs struct {
		ResourceURI string `json:"resourceUri" description:"URI of the resource to embed"`
	}
	fastmcp.AddPrompt(server, fastmcp.Prompt{
		Name:        "test_prompt_with_embedded_resource",
		Description: "A prompt that embeds a resource.",
	}, func(ctx *fastmcp.Context, args embeddedArgs) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{
			fastmcp.UserMessage(fastmcp.Embed(&fastmcp.ResourceContents{
				URI:      args.ResourceURI,
				MIMEType: "text/plain",
				Text:     "Embedded resource content for testing.",
			})),
			fastmcp.UserMessage(fastmcp.Text("Please process the embedded resource above.")),
		}, nil
	})

	fastmcp.AddPrompt(server, fastmcp.Prompt{
		Name:        "test_prompt_with_image",
		Description: "A prompt with an image.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) ([]*fastmcp.PromptMessage, error) {
		return []*fastmcp.PromptMessage{
			fastmcp.UserMessage(fastmcp.Image(pixelPNG, "image/png")),
			fastmcp.UserMessage(fastmcp.Text("Please analyze the image above.")),
		}, nil
	})
}

// prefixCompleter suggests the values that start with what the user typed.
func prefixCompleter(values ...string) fastmcp.Completer {
	return func(ctx *fastmcp.Context, typed string, _ map[string]string) ([]string, error) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, typed) {
				out = append(out, v)
			}
		}
		return out, nil
	}
}

// pause waits for d, or until the request is cancelled.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Media of the fixtures, made at start-up.
var (
	pixelPNG  = onePixelPNG()
	silentWAV = wavSilence(8000, 800) // 0.1 s at 8 kHz
)

// onePixelPNG encodes a 1x1 opaque PNG image.
func onePixelPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 0x1f, G: 0x6f, B: 0xeb, A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// wavSilence returns a WAV file of n samples of silence: 8-bit mono PCM at
// the given sample rate.
func wavSilence(rate, n int) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + n)) // size of everything after this field
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	le(uint32(16))   // fmt chunk size
	le(uint16(1))    // PCM
	le(uint16(1))    // mono
	le(uint32(rate)) // sample rate
	le(uint32(rate)) // byte rate: rate * channels * bytes per sample
	le(uint16(1))    // block align
	le(uint16(8))    // bits per sample
	b.WriteString("data")
	le(uint32(n))
	b.Write(bytes.Repeat([]byte{0x80}, n)) // 8-bit PCM is unsigned: 0x80 is silence
	return b.Bytes()
}
