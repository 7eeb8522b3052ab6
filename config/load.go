package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Environment.
const (
	// EnvPrefix starts every environment variable duecall reads.
	EnvPrefix = "DUECALL_"
	// EnvConfigFile names the configuration file when neither
	// LoadOptions.File nor --config is given.
	EnvConfigFile = "DUECALL_CONFIG"
	// envTestPrefix starts the variables of the end-to-end tests, which
	// are not configuration keys.
	envTestPrefix = "DUECALL_TEST_"
)

// FlagConfig is the flag that names the configuration file (defined by
// RegisterFlags).
const FlagConfig = "config"

// flagKeyAnnotation marks a flag with the key it sets.
const flagKeyAnnotation = "duecall.config.key"

// LoadOptions says where Load reads from.
type LoadOptions struct {
	// File is the YAML file to read. When empty, the --config flag of
	// Flags is used, then $DUECALL_CONFIG; with none of them only
	// defaults, environment and flags apply.
	File string
	// Data, when not nil, is the file's content; File then only names it
	// in messages.
	Data []byte
	// Env is the environment as KEY=value strings; nil means os.Environ().
	// Variables with an empty value count as unset.
	Env []string
	// Flags are the command-line flags; those bound with BindFlags (or
	// defined by RegisterFlags) override every other source when set on
	// the command line.
	Flags *pflag.FlagSet
}

// BindFlags binds flags of fs to configuration keys: bindings maps a flag
// name to a key ("redis-url" → "redis.url"). Only keys listed by Keys can
// be bound. Load reads the bindings back from fs.
func BindFlags(fs *pflag.FlagSet, bindings map[string]string) error {
	leaves := leafKeys()
	names := make([]string, 0, len(bindings))
	for name := range bindings {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		key := bindings[name]
		if fs.Lookup(name) == nil {
			return fmt.Errorf("bind flag --%s: no such flag", name)
		}
		if _, ok := leaves[key]; !ok {
			return fmt.Errorf("bind flag --%s: %q is not a key that a flag can set%s", name, key, suggest(key, Keys()))
		}
		if err := fs.SetAnnotation(name, flagKeyAnnotation, []string{key}); err != nil {
			return fmt.Errorf("bind flag --%s: %w", name, err)
		}
	}
	return nil
}

// RegisterFlags defines duecall's common flags on fs and binds them:
// --config, --redis-url, --ari-url, --ari-username, --ari-application,
// --http-listen, --log-level, --log-format and --owner-id. Passwords have
// no flags: command lines are visible to every user of the machine.
func RegisterFlags(fs *pflag.FlagSet) {
	def := Default()
	fs.String(FlagConfig, "", "YAML configuration file (also $"+EnvConfigFile+")")
	fs.String("redis-url", def.Redis.URL, "Redis URL (redis.url)")
	fs.String("ari-url", def.ARI.URL, "Asterisk ARI base URL (ari.url)")
	fs.String("ari-username", def.ARI.Username, "ARI user (ari.username)")
	fs.String("ari-application", def.ARI.Application, "Stasis application name (ari.application)")
	fs.String("http-listen", def.HTTP.Listen, "HTTP API listen address (http.listen)")
	fs.String("log-level", def.Log.Level, "log level: debug, info, warn or error (log.level)")
	fs.String("log-format", def.Log.Format, "log format: console or json (log.format)")
	fs.String("owner-id", "", "name of this dialer process in leases (dialer.owner_id; default hostname-pid)")
	err := BindFlags(fs, map[string]string{
		"redis-url":       "redis.url",
		"ari-url":         "ari.url",
		"ari-username":    "ari.username",
		"ari-application": "ari.application",
		"http-listen":     "http.listen",
		"log-level":       "log.level",
		"log-format":      "log.format",
		"owner-id":        "dialer.owner_id",
	})
	if err != nil {
		panic("config: " + err.Error()) // the bindings above are constant
	}
}

// loader carries the state of one Load.
type loader struct {
	file      *fileTree
	envByKey  map[string]string       // key → variable that set it
	flagByKey map[string]*pflag.Flag  // key → bound flag
	leaves    map[string]reflect.Type // keys environment and flags can set
}

// Load reads the configuration from defaults, file, environment and flags
// (in increasing precedence), fills derived values and validates it. On
// error the configuration is nil and the error joins one *FieldError per
// problem (see FieldErrors), or is a file or YAML syntax error. Warnings
// are returned in both cases.
func Load(opts LoadOptions) (*Config, []Warning, error) {
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	l := &loader{envByKey: map[string]string{}, flagByKey: map[string]*pflag.Flag{}, leaves: leafKeys()}

	// File.
	name, data := opts.File, opts.Data
	if name == "" && opts.Flags != nil {
		if f := opts.Flags.Lookup(FlagConfig); f != nil && f.Value.Type() == "string" {
			name = f.Value.String()
		}
	}
	if name == "" && data == nil {
		name = lookupEnv(env, EnvConfigFile)
	}
	if data == nil && name != "" {
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, nil, fmt.Errorf("read configuration: %w", err)
		}
	}
	if name == "" {
		name = "config"
	}
	fileLayer := map[string]any{}
	var errs []*FieldError
	if data != nil {
		ft, err := parseYAML(data, name)
		if err != nil {
			return nil, nil, err
		}
		l.file = ft
		errs = append(errs, ft.errs...)
		d := newDecoder(l.fileLocation)
		if cleaned, ok := d.clean("", ft.root, configType); ok {
			fileLayer = cleaned.(map[string]any)
		}
		errs = append(errs, d.errs...)
	}

	// Environment.
	envLayer, warnings := l.readEnv(env)

	// Merge the layers with viper: defaults < file < environment (merged
	// into the configuration layer after the file, since viper reads its
	// own environment layer from the process only) < flags.
	v := viper.New()
	// Every key gets a default, so that a flag's own default never applies.
	for key, val := range leafValues(defaults()) {
		v.SetDefault(key, val)
	}
	if err := v.MergeConfigMap(fileLayer); err != nil {
		return nil, warnings, fmt.Errorf("merge configuration file: %w", err)
	}
	if err := v.MergeConfigMap(envLayer); err != nil {
		return nil, warnings, fmt.Errorf("merge environment: %w", err)
	}
	if opts.Flags != nil {
		var bindErr error
		opts.Flags.VisitAll(func(f *pflag.Flag) {
			keys := f.Annotations[flagKeyAnnotation]
			if len(keys) != 1 || bindErr != nil {
				return
			}
			if _, ok := l.leaves[keys[0]]; !ok {
				bindErr = fmt.Errorf("flag --%s is bound to unknown key %q", f.Name, keys[0])
				return
			}
			l.flagByKey[keys[0]] = f
			bindErr = v.BindPFlag(keys[0], f)
		})
		if bindErr != nil {
			return nil, warnings, bindErr
		}
	}

	// Decode the merged settings; only environment and flag values can
	// still be malformed, the file's were checked above.
	d := newDecoder(l.location)
	cfg := defaults()
	if cleaned, ok := d.clean("", v.AllSettings(), configType); ok {
		assign(reflect.ValueOf(cfg).Elem(), cleaned)
	}
	errs = append(errs, d.errs...)
	failed := d.failed
	for _, fe := range errs {
		failed[fe.Key] = true
	}
	cfg.fill()

	verrs, vwarns := cfg.check()
	for _, fe := range verrs {
		if hasFailedAncestor(failed, fe.Key) {
			continue // a consequence of an error already reported
		}
		loc := l.location(fe.Key, false)
		fe.Source, fe.line, fe.col = loc.source, loc.line, loc.col
		errs = append(errs, fe)
	}
	for _, w := range vwarns {
		w.Source = l.location(w.Key, false).source
		warnings = append(warnings, w)
	}
	if len(errs) > 0 {
		return nil, warnings, joinErrors(errs)
	}
	return cfg, warnings, nil
}

func hasFailedAncestor(failed map[string]bool, key string) bool {
	for p := key; p != ""; p = parentKey(p) {
		if failed[p] {
			return true
		}
	}
	return false
}

// parentKey strips the last element of a key path: "a.b[2].c" → "a.b[2]"
// → "a.b" → "a" → "".
func parentKey(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func lookupEnv(env []string, name string) string {
	val := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			val = v
		}
	}
	return val
}

// readEnv turns DUECALL_* variables into a nested layer.
func (l *loader) readEnv(env []string) (map[string]any, []Warning) {
	byName := make(map[string]string, len(l.leaves))
	names := make([]string, 0, len(l.leaves))
	for key := range l.leaves {
		byName[EnvName(key)] = key
		names = append(names, EnvName(key))
	}
	layer := map[string]any{}
	var warnings []Warning
	warned := map[string]bool{}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || name == EnvConfigFile || strings.HasPrefix(name, envTestPrefix) {
			continue
		}
		key, known := byName[name]
		if !known {
			if !warned[name] {
				warned[name] = true
				warnings = append(warnings, Warning{Source: "env " + name, Msg: "not a duecall setting, ignored" + suggest(name, names)})
			}
			continue
		}
		if val == "" {
			delete(l.envByKey, key)
			removePath(layer, key)
			continue
		}
		setPath(layer, key, val)
		l.envByKey[key] = name
	}
	return layer, warnings
}

func setPath(m map[string]any, key string, val any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

func removePath(m map[string]any, key string) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
}

// fileLocation locates a path in the file.
func (l *loader) fileLocation(path string, key bool) location {
	if l.file == nil {
		return location{}
	}
	if key {
		if p, ok := l.file.keyPos[path]; ok {
			return l.filePos(p)
		}
	}
	for p := path; ; p = parentKey(p) {
		if fp, ok := l.file.valPos[p]; ok {
			return l.filePos(fp)
		}
		if p == "" {
			return location{}
		}
	}
}

func (l *loader) filePos(p pos) location {
	return location{source: fmt.Sprintf("%s:%d:%d", l.file.name, p.line, p.col), line: p.line, col: p.col}
}

// location finds the source of the effective value at path: a flag set on
// the command line, an environment variable, the file, or the defaults.
func (l *loader) location(path string, key bool) location {
	if f, ok := l.flagByKey[path]; ok && f.Changed {
		return location{source: "flag --" + f.Name}
	}
	if name, ok := l.envByKey[path]; ok {
		return location{source: "env " + name}
	}
	if l.file != nil {
		// Only point into the file when the file set this value or one
		// of its parents, other than the document itself.
		for p := path; p != ""; p = parentKey(p) {
			if _, ok := l.file.valPos[p]; ok {
				return l.fileLocation(path, key)
			}
		}
	}
	return location{}
}
