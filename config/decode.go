package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/duecall/duecall/campaign"
)

// Decoding happens in two passes over a generic tree (maps, lists and
// leaves). The file is parsed into a tree whose leaves are yamlScalars,
// then cleaned against the Config type: unknown keys and bad values are
// reported with their line and dropped, and good leaves become Go values.
// Viper merges that tree with the defaults, the environment and the flags;
// the merged tree is cleaned again (only environment and flag values can
// still be wrong) and assigned onto a Config.

// yamlScalar is a scalar from the file, kept as written so that
// "0912345678" stays a string and "30" is not mistaken for a duration.
type yamlScalar struct {
	value string
	tag   string // short tag: !!str, !!int, !!null, ...
}

// pos is a position in the file.
type pos struct{ line, col int }

// fileTree is a parsed configuration file.
type fileTree struct {
	name   string
	root   any            // map[string]any, or another kind (an error)
	keyPos map[string]pos // path → position of the key
	valPos map[string]pos // path → position of the value
	errs   []*FieldError  // structural problems (duplicate keys, ...)
}

// maxNodes bounds the work spent on one file, aliases included, so that a
// "billion laughs" document fails instead of exhausting memory.
const maxNodes = 100_000

// parseYAML parses a configuration file into a tree.
func parseYAML(data []byte, name string) (ft *fileTree, err error) {
	ft = &fileTree{name: name, keyPos: map[string]pos{}, valPos: map[string]pos{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			ft.root = map[string]any{}
			return ft, nil
		}
		return nil, yamlSyntaxError(name, data, err)
	}
	var extra yaml.Node
	if err := decodeNode(dec, &extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w: more than one YAML document", name, ErrSyntax)
	}
	w := &treeWalker{ft: ft, active: map[*yaml.Node]bool{}}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			ft.root = map[string]any{}
			return ft, nil
		}
		root = root.Content[0]
	}
	ft.root = w.node("", root)
	if w.tooBig {
		return nil, fmt.Errorf("%s: %w: document too large or too deeply aliased (more than %d nodes)", name, ErrSyntax, maxNodes)
	}
	if ys, ok := ft.root.(yamlScalar); ok && ys.tag == "!!null" {
		ft.root = map[string]any{}
	}
	return ft, nil
}

// yamlParserProblems are the problems that yaml.v3's parser (as opposed to
// its scanner) reports. For these it numbers lines from 0, for the
// scanner's from 1 (go-yaml's parser.fail adds 1 for scanner errors only).
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlSyntaxError turns an error of the YAML decoder into
// "name:line: invalid YAML: problem", with the line as an editor shows it.
func yamlSyntaxError(name string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, problem, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil && v > 0 {
				line, msg = v, problem
			}
		}
	}
	parser := slices.Contains(yamlParserProblems, msg)
	switch {
	case parser:
		// Counted from 0; no line at all is line 0.
		line++
	case line == 0 && isYAMLScannerProblem(msg):
		// The scanner leaves out the line when it is the first.
		line = 1
	}
	if line == 0 {
		return fmt.Errorf("%s: %w: %s", name, ErrSyntax, msg)
	}
	// A problem found at the end of the file (an unclosed bracket or
	// quote) is on the file's last line, not on the empty one after it.
	if n := countLines(data); n > 0 && line > n {
		line = n
	}
	return fmt.Errorf("%s:%d: %w: %s", name, line, ErrSyntax, msg)
}

// isYAMLScannerProblem reports whether msg is a problem found by the YAML
// scanner, whose messages all start like this. The reader's problems (bad
// UTF-8, control characters) have no position.
func isYAMLScannerProblem(msg string) bool {
	for _, p := range []string{"found ", "did not find ", "could not find ", "mapping ", "block sequence ", "exceeded max depth"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// countLines returns the number of lines of data as an editor numbers
// them; a final line break does not start another line.
func countLines(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// decodeNode runs the YAML decoder, turning a panic inside it into an
// error: a configuration file must never crash the daemon.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

type treeWalker struct {
	ft     *fileTree
	nodes  int
	tooBig bool
	active map[*yaml.Node]bool // aliases being expanded (cycle check)
}

func (w *treeWalker) fail(path string, p pos, msg string) {
	w.ft.errs = append(w.ft.errs, &FieldError{
		Key: path, Source: fmt.Sprintf("%s:%d:%d", w.ft.name, p.line, p.col),
		Msg: msg, Err: ErrInvalidValue, line: p.line, col: p.col,
	})
}

// node converts a YAML node to the generic tree, recording positions.
func (w *treeWalker) node(path string, n *yaml.Node) any {
	w.nodes++
	if w.nodes > maxNodes {
		w.tooBig = true
		return nil
	}
	if _, seen := w.ft.valPos[path]; !seen {
		w.ft.valPos[path] = pos{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil || w.active[n.Alias] {
			w.fail(path, pos{n.Line, n.Column}, "alias refers to itself")
			return nil
		}
		w.active[n.Alias] = true
		defer delete(w.active, n.Alias)
		return w.node(path, n.Alias)
	case yaml.ScalarNode:
		return yamlScalar{value: n.Value, tag: n.ShortTag()}
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			out = append(out, w.node(fmt.Sprintf("%s[%d]", path, i), item))
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		defined := map[string]pos{}
		w.mapping(path, n, out, defined, false)
		return out
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return w.node(path, n.Content[0])
	}
	return nil
}

// mapping adds the entries of a mapping node to out. Entries merged with
// "<<" never override keys set explicitly.
func (w *treeWalker) mapping(path string, n *yaml.Node, out map[string]any, defined map[string]pos, merged bool) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := pos{k.Line, k.Column}
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			w.fail(path, kp, "mapping keys must be plain names")
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := k.Value
		child := joinKey(path, key)
		if merged {
			if _, ok := out[key]; ok {
				continue
			}
			if _, ok := defined[key]; ok {
				continue
			}
		} else if first, ok := defined[key]; ok {
			w.fail(child, kp, fmt.Sprintf("key defined twice (first at line %d)", first.line))
			continue
		}
		if !merged {
			defined[key] = kp
		}
		w.ft.keyPos[child] = kp
		val := w.node(child, v)
		if ys, ok := val.(yamlScalar); ok && ys.tag == "!!null" {
			// "key:" with no value means "not set".
			continue
		}
		out[key] = val
	}
	for _, m := range merges {
		w.merge(path, m, out, defined)
	}
}

func (w *treeWalker) merge(path string, v *yaml.Node, out map[string]any, defined map[string]pos) {
	w.nodes++
	if w.nodes > maxNodes {
		w.tooBig = true
		return
	}
	switch v.Kind {
	case yaml.AliasNode:
		if v.Alias == nil || w.active[v.Alias] {
			w.fail(path, pos{v.Line, v.Column}, "alias refers to itself")
			return
		}
		w.active[v.Alias] = true
		defer delete(w.active, v.Alias)
		w.merge(path, v.Alias, out, defined)
	case yaml.MappingNode:
		w.mapping(path, v, out, defined, true)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			w.merge(path, item, out, defined)
		}
	default:
		w.fail(path, pos{v.Line, v.Column}, "<< must merge a mapping or a list of mappings")
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// location is where a value came from.
type location struct {
	source    string
	line, col int
}

// decoder checks a generic tree against a Go type.
type decoder struct {
	errs   []*FieldError
	failed map[string]bool
	// locate finds where the value (or, with key, the key) at path came
	// from.
	locate func(path string, key bool) location
	// secret reports whether values at path must not be shown.
	secret func(path string) bool
}

func newDecoder(locate func(string, bool) location) *decoder {
	return &decoder{failed: map[string]bool{}, locate: locate, secret: isSecretKey}
}

func (d *decoder) fail(path string, key bool, sentinel error, format string, args ...any) {
	loc := d.locate(path, key)
	d.failed[path] = true
	d.errs = append(d.errs, &FieldError{
		Key: path, Source: loc.source, Msg: fmt.Sprintf(format, args...),
		Err: sentinel, line: loc.line, col: loc.col,
	})
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	outcomeType  = reflect.TypeOf(campaign.Outcome(""))
	campaignType = reflect.TypeOf(Campaign{})
	configType   = reflect.TypeOf(Config{})
)

// mapKeys lists the keys allowed in maps whose key has the given type.
var mapKeys = map[reflect.Type][]string{
	outcomeType: func() []string {
		out := make([]string, len(campaign.Outcomes))
		for i, o := range campaign.Outcomes {
			out[i] = string(o)
		}
		return out
	}(),
}

type field struct {
	name  string
	index int
	typ   reflect.Type
}

var fieldCache sync.Map // reflect.Type → []field

// fieldsOf lists a struct's configuration keys, in declaration order.
func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, field{name: name, index: i, typ: f.Type})
	}
	fieldCache.Store(t, out)
	return out
}

func fieldNamed(t reflect.Type, name string) (field, bool) {
	for _, f := range fieldsOf(t) {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// kindOf names the shape of a tree value for messages.
func kindOf(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "a mapping"
	case []any, []string:
		return "a list"
	case yamlScalar:
		if v.tag == "!!null" {
			return "null"
		}
		return quote(v.value)
	case nil:
		return "nothing"
	}
	return "a value"
}

// clean checks v against t. It returns the value in canonical form (Go
// leaves; map[string]any for structs and maps; []any for lists of structs;
// []string) and false when v is unusable (the error is recorded).
func (d *decoder) clean(path string, v any, t reflect.Type) (any, bool) {
	if t == durationType {
		return d.duration(path, v)
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.cleanStruct(path, v, t)
	case reflect.Map:
		return d.cleanMap(path, v, t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return d.stringList(path, v)
		}
		return d.cleanList(path, v, t)
	case reflect.String:
		return d.str(path, v)
	case reflect.Int:
		return d.integer(path, v)
	case reflect.Float64:
		return d.float(path, v)
	case reflect.Bool:
		return d.boolean(path, v)
	}
	panic("config: unsupported field type " + t.String())
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *decoder) cleanStruct(path string, v any, t reflect.Type) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a mapping of keys, got %s", kindOf(v))
		return nil, false
	}
	fields := fieldsOf(t)
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		child := joinKey(path, k)
		f, ok := fieldNamed(t, k)
		if !ok {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.name
			}
			d.fail(child, true, ErrUnknownKey, "unknown key%s", suggest(k, names))
			continue
		}
		if val, ok := d.clean(child, m[k], f.typ); ok {
			out[k] = val
		}
	}
	return out, true
}

func (d *decoder) cleanMap(path string, v any, t reflect.Type) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a mapping, got %s", kindOf(v))
		return nil, false
	}
	allowed := mapKeys[t.Key()]
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		child := joinKey(path, k)
		if allowed != nil && !slices.Contains(allowed, k) {
			d.fail(child, true, ErrUnknownKey, "unknown key%s (expected one of %s)", suggest(k, allowed), strings.Join(allowed, ", "))
			continue
		}
		if val, ok := d.clean(child, m[k], t.Elem()); ok {
			out[k] = val
		}
	}
	return out, true
}

func (d *decoder) cleanList(path string, v any, t reflect.Type) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a list, got %s", kindOf(v))
		return nil, false
	}
	out := make([]any, 0, len(list))
	for i, item := range list {
		child := fmt.Sprintf("%s[%d]", path, i)
		val, ok := d.clean(child, item, t.Elem())
		if !ok {
			// Keep the element (empty) so that later indexes stay right.
			val = map[string]any{}
		}
		out = append(out, val)
	}
	return out, true
}

// scalarText returns the text of a scalar leaf.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case yamlScalar:
		if v.tag == "!!null" {
			return "", false
		}
		return v.value, true
	case string:
		return v, true
	case int, int64, int32, uint, uint64, bool, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

func (d *decoder) show(path, s string) string {
	if d.secret(path) {
		return "the value"
	}
	if isURLKey(path) {
		return quote(redactURL(s))
	}
	return quote(s)
}

func (d *decoder) str(path string, v any) (any, bool) {
	s, ok := scalarText(v)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a string, got %s", kindOf(v))
		return nil, false
	}
	return s, true
}

func (d *decoder) integer(path string, v any) (any, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	}
	s, ok := scalarText(v)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a whole number, got %s", kindOf(v))
		return nil, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, false, ErrInvalidValue, "%s is not a whole number", d.show(path, s))
		return nil, false
	}
	return n, true
}

func (d *decoder) float(path string, v any) (any, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		s, ok := scalarText(v)
		if !ok {
			d.fail(path, false, ErrInvalidValue, "expected a number, got %s", kindOf(v))
			return nil, false
		}
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			d.fail(path, false, ErrInvalidValue, "%s is not a number", d.show(path, s))
			return nil, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(path, false, ErrInvalidValue, "%v is not a finite number", f)
		return nil, false
	}
	return f, true
}

func (d *decoder) boolean(path string, v any) (any, bool) {
	if b, ok := v.(bool); ok {
		return b, true
	}
	s, ok := scalarText(v)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected true or false, got %s", kindOf(v))
		return nil, false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, false, ErrInvalidValue, "%s is not a boolean; expected true or false", d.show(path, s))
		return nil, false
	}
	return b, true
}

func (d *decoder) duration(path string, v any) (any, bool) {
	if x, ok := v.(time.Duration); ok {
		return x, true
	}
	s, ok := scalarText(v)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a duration such as 30s, got %s", kindOf(v))
		return nil, false
	}
	s = strings.TrimSpace(s)
	x, err := time.ParseDuration(s)
	if err != nil {
		hint := "expected e.g. 30s, 1m30s or 72h"
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			hint = "a duration needs a unit; expected e.g. " + s + "s"
		}
		d.fail(path, false, ErrInvalidValue, "%s is not a duration; %s", d.show(path, s), hint)
		return nil, false
	}
	return x, true
}

// stringList accepts a list of scalars, or a comma-separated string (the
// form environment variables and flags give).
func (d *decoder) stringList(path string, v any) (any, bool) {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l), true
	case []any:
		out := make([]string, 0, len(l))
		good := true
		for i, item := range l {
			s, ok := scalarText(item)
			if !ok {
				d.fail(fmt.Sprintf("%s[%d]", path, i), false, ErrInvalidValue, "expected a string, got %s", kindOf(item))
				good = false
				continue
			}
			out = append(out, s)
		}
		return out, good
	}
	s, ok := scalarText(v)
	if !ok {
		d.fail(path, false, ErrInvalidValue, "expected a list of strings, got %s", kindOf(v))
		return nil, false
	}
	out := []string{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out, true
}

// assign stores a cleaned value into dst. Struct and map values only set
// the keys present, so dst keeps its defaults for the others.
func assign(dst reflect.Value, v any) {
	t := dst.Type()
	if t == durationType {
		dst.SetInt(int64(v.(time.Duration)))
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for k, val := range v.(map[string]any) {
			if f, ok := fieldNamed(t, k); ok {
				assign(dst.Field(f.index), val)
			}
		}
	case reflect.Map:
		if dst.IsNil() {
			dst.Set(reflect.MakeMap(t))
		}
		for k, val := range v.(map[string]any) {
			key := reflect.ValueOf(k).Convert(t.Key())
			elem := reflect.New(t.Elem()).Elem()
			if old := dst.MapIndex(key); old.IsValid() {
				elem.Set(old)
			}
			assign(elem, val)
			dst.SetMapIndex(key, elem)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			l := v.([]string)
			if len(l) == 0 {
				dst.Set(reflect.Zero(t))
				return
			}
			out := reflect.MakeSlice(t, len(l), len(l))
			for i, s := range l {
				out.Index(i).SetString(s)
			}
			dst.Set(out)
			return
		}
		l := v.([]any)
		if len(l) == 0 {
			dst.Set(reflect.Zero(t))
			return
		}
		out := reflect.MakeSlice(t, len(l), len(l))
		for i, item := range l {
			elem := out.Index(i)
			if t.Elem() == campaignType {
				elem.Set(reflect.ValueOf(DefaultCampaign()))
			}
			assign(elem, item)
		}
		dst.Set(out)
	case reflect.String:
		dst.SetString(v.(string))
	case reflect.Int:
		dst.SetInt(int64(v.(int)))
	case reflect.Float64:
		dst.SetFloat(v.(float64))
	case reflect.Bool:
		dst.SetBool(v.(bool))
	}
}

// leafKeys lists the keys that hold a single value outside lists (the keys
// environment variables and flags can set), with their types.
func leafKeys() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for _, f := range fieldsOf(t) {
			key := joinKey(prefix, f.name)
			switch {
			case f.typ == durationType:
				out[key] = f.typ
			case f.typ.Kind() == reflect.Struct:
				walk(key, f.typ)
			case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() != reflect.String:
				// lists of structures: file only
			case f.typ.Kind() == reflect.Map:
				// file only
			default:
				out[key] = f.typ
			}
		}
	}
	walk("", configType)
	return out
}

// leafValues flattens the single-value keys of c.
func leafValues(c *Config) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for _, f := range fieldsOf(v.Type()) {
			key := joinKey(prefix, f.name)
			fv := v.Field(f.index)
			switch {
			case f.typ == durationType:
				out[key] = time.Duration(fv.Int())
			case f.typ.Kind() == reflect.Struct:
				walk(key, fv)
			case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.String:
				out[key] = append([]string{}, fv.Interface().([]string)...)
			case f.typ.Kind() == reflect.Slice, f.typ.Kind() == reflect.Map:
			case f.typ.Kind() == reflect.String:
				out[key] = fv.String()
			case f.typ.Kind() == reflect.Int:
				out[key] = int(fv.Int())
			case f.typ.Kind() == reflect.Float64:
				out[key] = fv.Float()
			case f.typ.Kind() == reflect.Bool:
				out[key] = fv.Bool()
			}
		}
	}
	walk("", reflect.ValueOf(c).Elem())
	return out
}

// Keys lists the keys that environment variables and flags can set, sorted.
func Keys() []string {
	m := leafKeys()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// EnvName is the environment variable that sets key: redis.url →
// DUECALL_REDIS_URL.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}
