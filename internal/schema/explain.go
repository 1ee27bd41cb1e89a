package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// Argument errors name the offending value by its place in the arguments, as
// a program would write it (stops[0].nights, tags["a b"]), and say what is
// wrong in words: `stops[0].nights: 1.5 is not an integer`. jsonschema-go
// decides whether an instance is valid; its messages name schema locations
// (/properties/stops/items/properties/nights) and print numbers as fractions,
// so when it refuses an instance the explainer below walks the instance
// alongside the schema to find and word the first violation. The compiled
// argument path words its errors with the same helpers.

// Validate checks instance, a value decoded by encoding/json into any,
// against rs. Its error names the offending value by its path in the
// instance.
func Validate(rs *jsonschema.Resolved, instance any) error {
	err := rs.Validate(instance)
	if err == nil {
		return nil
	}
	e := explainer{root: rs.Schema()}
	if msg := e.check(rs.Schema(), instance, "", 0); msg != "" && e.steps <= maxSteps {
		return errors.New(msg)
	}
	// A keyword the explainer does not cover ($dynamicRef, unevaluated*):
	// the validator's own words, with the schema path turned into a field.
	return errors.New(formatValidationError(err))
}

// maxRefDepth bounds how many $ref a schema may chain without consuming any
// of the instance, so that a self-referencing schema cannot loop.
const maxRefDepth = 64

// maxSteps bounds the explainer's work: alternatives (anyOf, oneOf) under a
// recursive schema could otherwise cost time exponential in the depth of the
// instance. Past it, the validator's own words are used.
const maxSteps = 1_000_000

// explainer finds the first place where an instance breaks a schema.
type explainer struct {
	root    *jsonschema.Schema
	steps   int
	regexps map[string]*regexp.Regexp
}

// regexp compiles pattern once per explanation; nil if it does not compile.
func (e *explainer) regexp(pattern string) *regexp.Regexp {
	if re, ok := e.regexps[pattern]; ok {
		return re
	}
	if e.regexps == nil {
		e.regexps = map[string]*regexp.Regexp{}
	}
	re, _ := regexp.Compile(pattern)
	e.regexps[pattern] = re
	return re
}

// valid reports whether v satisfies s, as far as the explainer can tell.
func (e *explainer) valid(s *jsonschema.Schema, v any, refs int) bool {
	return e.check(s, v, "", refs) == ""
}

// check returns the first violation of s by v, worded with path, or "".
// refs counts the $ref followed since the instance last moved.
func (e *explainer) check(s *jsonschema.Schema, v any, path string, refs int) string {
	if s == nil {
		return ""
	}
	if e.steps++; e.steps > maxSteps {
		return ""
	}
	if isFalseSchema(s) {
		return at(path) + "no value is allowed here"
	}
	if s.Ref != "" {
		if refs >= maxRefDepth {
			return ""
		}
		target := e.deref(s.Ref)
		if target == nil {
			return ""
		}
		if msg := e.check(target, v, path, refs+1); msg != "" {
			return msg
		}
		if strings.Contains(e.root.Schema, "draft-07") {
			return "" // draft-07 ignores the siblings of $ref
		}
	}
	if msg := checkType(s, v, path); msg != "" {
		return msg
	}
	if s.Enum != nil && !slices.ContainsFunc(s.Enum, func(x any) bool { return jsonschema.Equal(x, v) }) {
		return enumError(path, show(v), s.Enum)
	}
	if s.Const != nil && !jsonschema.Equal(*s.Const, v) {
		return fmt.Sprintf("%s%s is not the allowed value %s", at(path), show(v), show(*s.Const))
	}
	switch v := v.(type) {
	case float64:
		if msg := checkNumber(s, v, path); msg != "" {
			return msg
		}
	case string:
		if msg := e.checkString(s, v, path); msg != "" {
			return msg
		}
	}
	if msg := e.checkLogic(s, v, path, refs); msg != "" {
		return msg
	}
	switch v := v.(type) {
	case []any:
		return e.checkArray(s, v, path)
	case map[string]any:
		return e.checkObject(s, v, path)
	}
	return ""
}

// checkLogic checks allOf, anyOf, oneOf, not and if/then/else.
func (e *explainer) checkLogic(s *jsonschema.Schema, v any, path string, refs int) string {
	for _, sub := range s.AllOf {
		if msg := e.check(sub, v, path, refs); msg != "" {
			return msg
		}
	}
	if s.AnyOf != nil {
		msgs := e.checkEach(s.AnyOf, v, path, refs)
		if !slices.Contains(msgs, "") {
			return e.noneMatch(s.AnyOf, msgs, v, path)
		}
	}
	if s.OneOf != nil {
		msgs := e.checkEach(s.OneOf, v, path, refs)
		switch n := count(msgs, ""); {
		case n == 0:
			return e.noneMatch(s.OneOf, msgs, v, path)
		case n > 1:
			return at(path) + "matches more than one of the allowed forms"
		}
	}
	if s.Not != nil && e.valid(s.Not, v, refs) {
		return at(path) + "matches a form that is not allowed"
	}
	if s.If != nil {
		branch := s.Else
		if e.valid(s.If, v, refs) {
			branch = s.Then
		}
		if msg := e.check(branch, v, path, refs); msg != "" {
			return msg
		}
	}
	return ""
}

// checkEach checks v against each alternative, once: under a recursive
// schema, checking again to word the error would double the work at every
// level.
func (e *explainer) checkEach(alts []*jsonschema.Schema, v any, path string, refs int) []string {
	msgs := make([]string, len(alts))
	for i, a := range alts {
		msgs[i] = e.check(a, v, path, refs)
	}
	return msgs
}

func count(list []string, x string) int {
	n := 0
	for _, y := range list {
		if y == x {
			n++
		}
	}
	return n
}

// noneMatch words a value that fits none of the alternatives, whose own
// violations are msgs. When only one alternative admits the value's JSON type
// (as in a nullable anyOf of null and an object), its violation is the
// helpful one.
func (e *explainer) noneMatch(alts []*jsonschema.Schema, msgs []string, v any, path string) string {
	fit := -1
	for i, a := range alts {
		if checkType(e.resolveRefs(a), v, path) == "" {
			if fit >= 0 {
				fit = -1
				break
			}
			fit = i
		}
	}
	if fit >= 0 {
		return msgs[fit]
	}
	return at(path) + "does not match any of the allowed forms"
}

// resolveRefs follows a chain of bare $ref, for a look at the type.
func (e *explainer) resolveRefs(s *jsonschema.Schema) *jsonschema.Schema {
	for range maxRefDepth {
		if s == nil || s.Ref == "" || s.Type != "" || s.Types != nil {
			return s
		}
		t := e.deref(s.Ref)
		if t == nil {
			return s
		}
		s = t
	}
	return s
}

func (e *explainer) checkArray(s *jsonschema.Schema, v []any, path string) string {
	n := len(v)
	if s.MinItems != nil && n < *s.MinItems {
		return fmt.Sprintf("%s%d items, fewer than %d", at(path), n, *s.MinItems)
	}
	if s.MaxItems != nil && n > *s.MaxItems {
		return fmt.Sprintf("%s%d items, more than %d", at(path), n, *s.MaxItems)
	}
	for i, x := range v {
		var sub *jsonschema.Schema
		switch {
		case i < len(s.PrefixItems):
			sub = s.PrefixItems[i]
		case s.Items != nil:
			sub = s.Items
			if isFalseSchema(sub) {
				return fmt.Sprintf("%s%d items, more than %d", at(path), n, len(s.PrefixItems))
			}
		case s.AdditionalItems != nil && len(s.PrefixItems) > 0:
			sub = s.AdditionalItems
		}
		if msg := e.check(sub, x, index(path, i), 0); msg != "" {
			return msg
		}
	}
	if s.UniqueItems {
		// Keyed by a canonical text, so that a long array costs linear
		// time; 1 and 1.0 decode to the same float.
		seen := make(map[string]int, n)
		for i, x := range v {
			k := canonical(x)
			if j, ok := seen[k]; ok {
				return fmt.Sprintf("%sitems %d and %d are equal", at(path), j, i)
			}
			seen[k] = i
		}
	}
	if s.Contains != nil {
		matches := 0
		for _, x := range v {
			if e.valid(s.Contains, x, 0) {
				matches++
			}
		}
		lo := 1
		if s.MinContains != nil {
			lo = *s.MinContains
		}
		if matches < lo {
			return fmt.Sprintf("%s%d items of the required form, fewer than %d", at(path), matches, lo)
		}
		if s.MaxContains != nil && matches > *s.MaxContains {
			return fmt.Sprintf("%s%d items of the required form, more than %d", at(path), matches, *s.MaxContains)
		}
	}
	return ""
}

func (e *explainer) checkObject(s *jsonschema.Schema, v map[string]any, path string) string {
	// Members in the schema's order (a struct's field order), then the
	// others sorted, so that the first violation is the same every time.
	keys := make([]string, 0, len(v))
	for _, k := range s.PropertyOrder {
		if _, ok := v[k]; ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	ordered := len(keys)
	for k := range v {
		if !slices.Contains(keys[:ordered], k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys[ordered:])
	// The shape first, as the compiled path reports it: names that are not
	// allowed, then names that are missing, then the values.
	if isFalseSchema(s.AdditionalProperties) {
		var extra []string
		for _, k := range sortedKeys(v) {
			if _, ok := s.Properties[k]; !ok && !e.matchesPattern(s.PatternProperties, k) {
				extra = append(extra, k)
			}
		}
		if extra != nil {
			return extraError(path, extra)
		}
	}
	var missing []string
	for _, r := range s.Required {
		if _, ok := v[r]; !ok {
			missing = append(missing, r)
		}
	}
	if missing != nil {
		return missingError(path, missing)
	}
	for _, d := range sortedKeys(s.DependentRequired) {
		if _, ok := v[d]; ok {
			var miss []string
			for _, r := range s.DependentRequired[d] {
				if _, ok := v[r]; !ok {
					miss = append(miss, r)
				}
			}
			if miss != nil {
				return fmt.Sprintf("%smissing properties: %s (required with %q)", at(path), quoteList(miss), d)
			}
		}
	}
	if s.MinProperties != nil && len(v) < *s.MinProperties {
		return fmt.Sprintf("%s%d properties, fewer than %d", at(path), len(v), *s.MinProperties)
	}
	if s.MaxProperties != nil && len(v) > *s.MaxProperties {
		return fmt.Sprintf("%s%d properties, more than %d", at(path), len(v), *s.MaxProperties)
	}
	for _, k := range keys {
		if s.PropertyNames != nil {
			if msg := e.check(s.PropertyNames, k, "", 0); msg != "" {
				return fmt.Sprintf("%sproperty name %s: %s", at(path), strconv.Quote(k), msg)
			}
		}
		child := key(path, k)
		p, declared := s.Properties[k]
		if declared {
			if msg := e.check(p, v[k], child, 0); msg != "" {
				return msg
			}
		}
		matched := false
		for _, pat := range sortedKeys(s.PatternProperties) {
			if re := e.regexp(pat); re != nil && re.MatchString(k) {
				matched = true
				if msg := e.check(s.PatternProperties[pat], v[k], child, 0); msg != "" {
					return msg
				}
			}
		}
		if !declared && !matched && s.AdditionalProperties != nil {
			if msg := e.check(s.AdditionalProperties, v[k], child, 0); msg != "" {
				return msg
			}
		}
	}
	for _, d := range sortedKeys(s.DependentSchemas) {
		if _, ok := v[d]; ok {
			if msg := e.check(s.DependentSchemas[d], v, path, 0); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// canonical returns a text equal for equal JSON values.
func canonical(x any) string {
	switch x := x.(type) {
	case string:
		return "s" + x
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, _ := json.Marshal(x) // sorts object keys
	return "j" + string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (e *explainer) matchesPattern(patterns map[string]*jsonschema.Schema, k string) bool {
	for pat := range patterns {
		if re := e.regexp(pat); re != nil && re.MatchString(k) {
			return true
		}
	}
	return false
}

// deref finds the subschema a local $ref ("#", "#/$defs/point", any JSON
// pointer into the root) names, or nil.
func (e *explainer) deref(ref string) *jsonschema.Schema {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	s := e.root
	if ptr == "" {
		return s
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil // an anchor
	}
	parts := strings.Split(ptr[1:], "/")
	for i := 0; i < len(parts) && s != nil; i++ {
		seg := strings.NewReplacer("~1", "/", "~0", "~").Replace(parts[i])
		next := func() (string, bool) {
			if i+1 >= len(parts) {
				return "", false
			}
			i++
			return strings.NewReplacer("~1", "/", "~0", "~").Replace(parts[i]), true
		}
		switch seg {
		case "$defs", "definitions", "properties", "patternProperties", "dependentSchemas":
			name, ok := next()
			if !ok {
				return nil
			}
			m := map[string]map[string]*jsonschema.Schema{
				"$defs": s.Defs, "definitions": s.Definitions, "properties": s.Properties,
				"patternProperties": s.PatternProperties, "dependentSchemas": s.DependentSchemas,
			}[seg]
			s = m[name]
		case "allOf", "anyOf", "oneOf", "prefixItems":
			idx, ok := next()
			n, err := strconv.Atoi(idx)
			list := map[string][]*jsonschema.Schema{"allOf": s.AllOf, "anyOf": s.AnyOf, "oneOf": s.OneOf, "prefixItems": s.PrefixItems}[seg]
			if !ok || err != nil || n < 0 || n >= len(list) {
				return nil
			}
			s = list[n]
		case "items":
			s = s.Items
		case "additionalProperties":
			s = s.AdditionalProperties
		case "additionalItems":
			s = s.AdditionalItems
		case "not":
			s = s.Not
		case "if":
			s = s.If
		case "then":
			s = s.Then
		case "else":
			s = s.Else
		case "contains":
			s = s.Contains
		case "propertyNames":
			s = s.PropertyNames
		default:
			return nil
		}
	}
	return s
}

// isFalseSchema reports whether s is the schema false, which jsonschema-go
// holds as {"not": {}}.
func isFalseSchema(s *jsonschema.Schema) bool {
	if s == nil || s.Not == nil {
		return false
	}
	c := *s
	c.Not = nil
	return reflect.DeepEqual(*s.Not, jsonschema.Schema{}) && reflect.DeepEqual(c, jsonschema.Schema{})
}

// jsonTypeOf names the JSON type of a value decoded into any.
func jsonTypeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			return "integer"
		}
		return "number"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// checkType checks the type keyword.
func checkType(s *jsonschema.Schema, v any, path string) string {
	if s == nil || (s.Type == "" && s.Types == nil) {
		return ""
	}
	want := s.Types
	if s.Type != "" {
		want = []string{s.Type}
	}
	got := jsonTypeOf(v)
	if slices.Contains(want, got) || (got == "integer" && slices.Contains(want, "number")) {
		return ""
	}
	if got == "number" && slices.Contains(want, "integer") {
		return fmt.Sprintf("%s%s is not an integer", at(path), show(v))
	}
	if got == "integer" {
		got = "number"
	}
	return typeError(path, got, wantTypes(want))
}

// wantTypes words a list of JSON types, null last: "array or null".
func wantTypes(types []string) string {
	var out []string
	for _, t := range types {
		if t != "null" {
			out = append(out, t)
		}
	}
	if len(out) < len(types) {
		out = append(out, "null")
	}
	return strings.Join(out, " or ")
}

func checkNumber(s *jsonschema.Schema, x float64, path string) string {
	switch {
	case s.Minimum != nil && x < *s.Minimum:
		return minimumError(path, x, *s.Minimum)
	case s.Maximum != nil && x > *s.Maximum:
		return maximumError(path, x, *s.Maximum)
	case s.ExclusiveMinimum != nil && x <= *s.ExclusiveMinimum:
		return fmt.Sprintf("%s%s is not greater than %s", at(path), num(x), num(*s.ExclusiveMinimum))
	case s.ExclusiveMaximum != nil && x >= *s.ExclusiveMaximum:
		return fmt.Sprintf("%s%s is not less than %s", at(path), num(x), num(*s.ExclusiveMaximum))
	case s.MultipleOf != nil && *s.MultipleOf != 0:
		if q := x / *s.MultipleOf; q != math.Trunc(q) {
			return fmt.Sprintf("%s%s is not a multiple of %s", at(path), num(x), num(*s.MultipleOf))
		}
	}
	return ""
}

func (e *explainer) checkString(s *jsonschema.Schema, v, path string) string {
	n := utf8.RuneCountInString(v)
	if s.MinLength != nil && n < *s.MinLength {
		return fmt.Sprintf("%slength %d is shorter than %d", at(path), n, *s.MinLength)
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		return fmt.Sprintf("%slength %d is longer than %d", at(path), n, *s.MaxLength)
	}
	if s.Pattern != "" {
		if re := e.regexp(s.Pattern); re != nil && !re.MatchString(v) {
			return patternError(path, v, s.Pattern)
		}
	}
	return ""
}

// The wording shared by every argument error.

// at is the prefix that places a message: "stops[0].nights: ", or nothing at
// the root.
func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// key returns the path of member k of the object at path: "traveler.age",
// or tags["two words"] when k is not a plain name.
func key(path, k string) string {
	if !plainName(k) {
		return path + "[" + strconv.Quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// index returns the path of item i of the array at path: "stops[0]".
func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r != '_' && r != '-' && r != '$' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// maxShown is how many characters of a string value an error message quotes.
const maxShown = 60

// show renders a value decoded into any for an error message: strings
// quoted (and cut short), numbers as JSON writes them, objects and arrays by
// their type only.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return num(v)
	case json.Number:
		return v.String()
	case string:
		return showString(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(v)
}

// showString quotes s for an error message, cut short when long.
func showString(s string) string {
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		return strconv.Quote(string(r[:maxShown])) + "…"
	}
	return strconv.Quote(s)
}

// num formats a number as encoding/json does.
func num(x float64) string {
	b, err := json.Marshal(x)
	if err != nil {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return string(b)
}

// typeError words a value of the wrong JSON type.
func typeError(path, got, want string) string {
	return fmt.Sprintf("%sgot %s, want %s", at(path), got, want)
}

// enumError words a value outside its enum; shown is the value as show
// renders it.
func enumError(path, shown string, enum []any) string {
	b, _ := json.Marshal(enum)
	return fmt.Sprintf("%s%s is not one of %s", at(path), shown, b)
}

// minimumError words a number below its minimum.
func minimumError(path string, x, min float64) string {
	return fmt.Sprintf("%s%s is less than the minimum %s", at(path), num(x), num(min))
}

// maximumError words a number above its maximum.
func maximumError(path string, x, max float64) string {
	return fmt.Sprintf("%s%s is greater than the maximum %s", at(path), num(x), num(max))
}

// patternError words a string that does not match its pattern.
func patternError(path, s, pattern string) string {
	return fmt.Sprintf("%s%s does not match the pattern %q", at(path), showString(s), pattern)
}

// missingError words required members left out of the object at path.
func missingError(path string, names []string) string {
	return at(path) + "missing properties: " + quoteList(names)
}

// extraError words members the object at path does not allow.
func extraError(path string, names []string) string {
	return at(path) + "unexpected additional properties " + quoteList(names)
}

// maxListed is how many names an error message lists.
const maxListed = 20

// quoteList renders names as a JSON array, ["a","b"], the first maxListed
// of them and a count of the rest.
func quoteList(names []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range names {
		if i == maxListed {
			fmt.Fprintf(&b, ", and %d more", len(names)-maxListed)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(showString(n))
	}
	b.WriteByte(']')
	return b.String()
}
