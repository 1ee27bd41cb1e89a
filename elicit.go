package fastmcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/fastmcp-go/fastmcp/internal/schema"
)

// Elicitation forms are a restricted JSON Schema: an object of primitive
// properties (string, number, integer, boolean), single-select enums and
// multi-select string arrays. FormSchema builds one from a Go struct, reading
// these tags besides json:
//
//	title:"..." description:"..." (or jsonschema:"...")
//	default:"..."              a default the client pre-fills (for a []string,
//	                           comma-separated values)
//	enum:"a,b,c"               a single- or multi-select of untitled values
//	enum:"a=Alpha,b=Beta"      titled values: oneOf (or, for a []string, anyOf)
//	                           of {const, title}
//	format:"email"             email, uri, date or date-time (strings)
//	minLength, maxLength, minimum, maximum, minItems, maxItems
//
// A field is required unless its json tag has omitempty or omitzero.

// FormSchema returns the elicitation form schema of struct type T. It returns
// an error when T has a field an elicitation form cannot hold (a nested
// struct, a map, a slice other than []string).
func FormSchema[T any]() (map[string]any, error) {
	return formSchema(reflect.TypeFor[T]())
}

func formSchema(t reflect.Type) (map[string]any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("fastmcp: an elicitation form is a struct, not %s", t)
	}
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p, err := formProperty(f)
		if err != nil {
			return nil, fmt.Errorf("fastmcp: form field %s: %w", f.Name, err)
		}
		props[name] = p
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			required = append(required, name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s, nil
}

// formProperty builds the schema of one form field.
func formProperty(f reflect.StructField) (map[string]any, error) {
	tag := f.Tag
	p := map[string]any{}
	if v := tag.Get("title"); v != "" {
		p["title"] = v
	}
	if v, ok := tag.Lookup("description"); ok {
		p["description"] = v
	} else if v := tag.Get("jsonschema"); v != "" {
		p["description"] = v
	}
	t := f.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	values, titles, titled := parseEnumTag(tag.Get("enum"))
	switch t.Kind() {
	case reflect.String:
		p["type"] = "string"
		switch {
		case titled:
			one := make([]any, len(values))
			for i := range values {
				one[i] = map[string]any{"const": values[i], "title": titles[i]}
			}
			p["oneOf"] = one
		case values != nil:
			p["enum"] = values
		}
		if v := tag.Get("format"); v != "" {
			p["format"] = v
		}
	case reflect.Bool:
		p["type"] = "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p["type"] = "integer"
	case reflect.Float32, reflect.Float64:
		p["type"] = "number"
	case reflect.Slice:
		if t.Elem().Kind() != reflect.String {
			return nil, fmt.Errorf("only []string slices (multi-selects) fit a form, not %s", t)
		}
		if values == nil {
			return nil, fmt.Errorf("a []string field is a multi-select and needs an enum tag")
		}
		p["type"] = "array"
		if titled {
			opts := make([]any, len(values))
			for i := range values {
				opts[i] = map[string]any{"const": values[i], "title": titles[i]}
			}
			p["items"] = map[string]any{"anyOf": opts}
		} else {
			p["items"] = map[string]any{"type": "string", "enum": values}
		}
	default:
		return nil, fmt.Errorf("type %s does not fit an elicitation form", t)
	}
	for _, n := range []string{"minLength", "maxLength", "minItems", "maxItems"} {
		if v, ok := tag.Lookup(n); ok {
			x, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			p[n] = x
		}
	}
	for _, n := range []string{"minimum", "maximum"} {
		if v, ok := tag.Lookup(n); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			p[n] = x
		}
	}
	if v, ok := tag.Lookup("default"); ok {
		if t.Kind() == reflect.Slice {
			var d []string
			for _, s := range strings.Split(v, ",") {
				d = append(d, strings.TrimSpace(s))
			}
			p["default"] = d
		} else {
			d, err := schema.ParseTagValue(v, t)
			if err != nil {
				return nil, fmt.Errorf("default: %w", err)
			}
			p["default"] = d
		}
	}
	return p, nil
}

// parseEnumTag splits an enum tag into values and, when the values are
// written value=Title, their titles.
func parseEnumTag(tag string) (values, titles []string, titled bool) {
	if tag == "" {
		return nil, nil, false
	}
	for _, item := range strings.Split(tag, ",") {
		item = strings.TrimSpace(item)
		v, title, ok := strings.Cut(item, "=")
		if ok {
			titled = true
		} else {
			title = v
		}
		values = append(values, v)
		titles = append(titles, title)
	}
	return values, titles, titled
}

// FormResult is the answer to ElicitForm: the user's action and, when the
// action is ElicitAccept, the form's values.
type FormResult[T any] struct {
	// Action is ElicitAccept, ElicitDecline or ElicitCancel.
	Action string
	// Content holds the form's values when the user accepted, and the zero T
	// otherwise.
	Content T
}

// ElicitForm asks the client's user to fill in a form built from struct type T
// (see FormSchema) and decodes the answer into T. Content is the zero T unless
// the user accepted. It fails at once with ErrNoSession when the request is
// served statelessly, with ErrCapability when the client cannot elicit, and
// with an error when the form cannot be built or the answer does not fit T.
func ElicitForm[T any](ctx *Context, message string) (*FormResult[T], error) {
	schema, err := FormSchema[T]()
	if err != nil {
		return nil, err
	}
	res, err := ctx.Elicit(&ElicitParams{Message: message, RequestedSchema: schema})
	if err != nil {
		return nil, err
	}
	out := &FormResult[T]{Action: res.Action}
	if res.Action == ElicitAccept && res.Content != nil {
		raw, err := json.Marshal(res.Content)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &out.Content); err != nil {
			return nil, fmt.Errorf("fastmcp: the client's form answer does not fit %T: %w", out.Content, err)
		}
	}
	return out, nil
}
