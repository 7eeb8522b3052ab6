package config

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUniversalOptions(t *testing.T) {
	// A single server from the URL, with its query options.
	o, err := Redis{URL: "redis://u:pw@h:6380/3?dial_timeout=2s&pool_size=7&client_name=dc"}.UniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Addrs) != 1 || o.Addrs[0] != "h:6380" || o.Username != "u" || o.Password != "pw" || o.DB != 3 ||
		o.DialTimeout != 2*time.Second || o.PoolSize != 7 || o.ClientName != "dc" || o.TLSConfig != nil || o.MasterName != "" {
		t.Errorf("from URL: %+v", o)
	}
	// Fields override the URL.
	o, err = Redis{URL: "redis://u:pw@h:6380/3", Username: "u2", Password: "pw2", DB: 5}.UniversalOptions()
	if err != nil || o.Username != "u2" || o.Password != "pw2" || o.DB != 5 {
		t.Errorf("overrides: %+v, %v", o, err)
	}
	// TLS.
	o, err = Redis{URL: "rediss://h:6380/0"}.UniversalOptions()
	if err != nil || o.TLSConfig == nil || o.TLSConfig.ServerName != "h" {
		t.Errorf("rediss: %+v, %v", o, err)
	}
	// Sentinel and cluster: the URL is ignored.
	o, err = Redis{URL: "bogus://", Addresses: []string{"s1:26379", "s2:26379"}, MasterName: "m", Password: "pw", DB: 2}.UniversalOptions()
	if err != nil || len(o.Addrs) != 2 || o.MasterName != "m" || o.Password != "pw" || o.DB != 2 {
		t.Errorf("sentinel: %+v, %v", o, err)
	}
	// Errors name the key and hide the password.
	_, err = Redis{URL: "http://u:topsecret@h:1/0"}.UniversalOptions()
	if err == nil || !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "redis.url") || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("bad URL error: %v", err)
	}
	_, err = Redis{URL: "redis://u:topsecret@h:1/0\x7f"}.UniversalOptions()
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("unparsable URL error: %v", err)
	}
}

// TestUniversalOptionsUnixSocket checks that a unix:// URL dials the socket
// (UniversalOptions has no network field of its own).
func TestUniversalOptionsUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	defer ln.Close()
	accepted := make(chan struct{})
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
		close(accepted)
	}()
	o, err := Redis{URL: "unix://" + path + "?db=4"}.UniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.DB != 4 || o.Dialer == nil {
		t.Fatalf("unix options: %+v", o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := o.Dialer(ctx, "tcp", "ignored:6379")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.Close()
	<-accepted
}
