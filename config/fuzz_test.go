package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzLoadYAML feeds arbitrary bytes to Load. It must never panic; every
// error is a syntax error or field errors with a key or a source; and a
// configuration that loads must write YAML that loads back to the same
// configuration.
func FuzzLoadYAML(f *testing.F) {
	example, err := os.ReadFile("../deploy/duecall.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{
		"",
		minimal,
		"redis: {url: 'redis://:pw@h:1/0', db: 2}\n",
		"campaigns: [{id: c, dial_template: 'PJSIP/{number}@t', retry: {busy: {action: retry, delay: 1h}}}]\n",
		"campaigns:\n  - &c {id: a, dial_template: 'X/{e164}'}\n  - <<: *c\n    id: b\n",
		"a: &a [*a]\n",
		"- 1\n- 2\n",
		"agents: [~, 1, [2]]\n",
		"ari: {request_timeout: 30, url: 'http://[::1]:8088/ari'}\n",
		"log: {level: info, level: debug}\n",
		"? [a]\n: b\n",
		"campaigns: [{id: c, dial_template: 'PJSIP/{number}', originate_timeout: 5s, abandon_after: 1ns, caller_id: \"\\u0001\"}]\n",
		"%YAML 1.2\n---\nhttp: {listen: ':0'}\n",
		"!!binary aGVsbG8=\n",
		"redis: !!str\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := Load(LoadOptions{Data: data, File: "fuzz.yaml", Env: []string{}})
		if err != nil {
			if cfg != nil {
				t.Fatal("configuration returned with an error")
			}
			if errors.Is(err, ErrSyntax) {
				return
			}
			fes := FieldErrors(err)
			if len(fes) == 0 {
				t.Fatalf("error without field errors: %v", err)
			}
			for _, fe := range fes {
				if fe.Msg == "" || fe.Err == nil || (fe.Key == "" && fe.Source == "") {
					t.Fatalf("incomplete field error %#v", fe)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("loaded configuration does not validate: %v", err)
		}
		var out bytes.Buffer
		if err := cfg.WriteYAML(&out, false); err != nil {
			t.Fatal(err)
		}
		again, _, err := Load(LoadOptions{Data: out.Bytes(), File: "again.yaml", Env: []string{}})
		if err != nil {
			t.Fatalf("written configuration does not load: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("round trip differs:\n%+v\n%+v\n%s", cfg, again, out.String())
		}
	})
}
