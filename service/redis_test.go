package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/service"
)

const (
	redisRightPw = "Right-Redis-Pw-31"
	redisWrongPw = "Wrong-Redis-Pw-47"
)

// checkRedis runs service.CheckRedis on a client built from rc, as serve
// and import build theirs.
func checkRedis(t *testing.T, rc config.Redis) error {
	t.Helper()
	opts, err := rc.UniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return service.CheckRedis(ctx, rdb, rc)
}

// TestCheckRedis: a Redis that refuses the password is reported as such,
// with the keys that set it, and not as unreachable; a Redis where
// nothing listens is unreachable. No password is ever printed.
func TestCheckRedis(t *testing.T) {
	rs := redistest.NewPrivate(t)
	rs.RequirePassword(t, redisRightPw)
	plain := "redis://" + rs.Addr() + "/0"
	withPw := func(pw string) string { return "redis://:" + pw + "@" + rs.Addr() + "/0" }

	for _, tt := range []struct {
		name  string
		redis config.Redis
		want  error  // nil: Redis answers
		where string // the redacted location the message names
	}{
		{"wrong password in redis.url", config.Redis{URL: withPw(redisWrongPw)}, service.ErrRedisAuth, "redis://:" + config.RedactedMark + "@" + rs.Addr() + "/0"},
		{"wrong redis.password", config.Redis{URL: plain, Password: redisWrongPw}, service.ErrRedisAuth, plain},
		{"no password (NOAUTH)", config.Redis{URL: plain}, service.ErrRedisAuth, plain},
		{"right password", config.Redis{URL: plain, Password: redisRightPw}, nil, ""},
		{"right password in redis.url", config.Redis{URL: withPw(redisRightPw)}, nil, ""},
		{"nothing listening", config.Redis{URL: "redis://:" + redisWrongPw + "@" + freeAddr(t) + "/0"}, service.ErrRedisUnreachable, "redis://:" + config.RedactedMark + "@"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRedis(t, tt.redis)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckRedis = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckRedis = %v; want %v", err, tt.want)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "redis at "+tt.where) {
				t.Errorf("error %q does not start with %q", msg, "redis at "+tt.where)
			}
			for _, pw := range []string{redisRightPw, redisWrongPw} {
				if strings.Contains(msg, pw) {
					t.Errorf("error %q holds a password", msg)
				}
			}
			if tt.want == service.ErrRedisAuth {
				for _, part := range []string{"refused the credentials", "set redis.password or the password in redis.url / DUECALL_REDIS_PASSWORD"} {
					if !strings.Contains(msg, part) {
						t.Errorf("error %q lacks %q", msg, part)
					}
				}
				if strings.Contains(msg, "unreachable") || errors.Is(err, service.ErrRedisUnreachable) {
					t.Errorf("error %q calls a refused password unreachable", msg)
				}
			} else if !strings.Contains(msg, "is unreachable") || strings.Contains(msg, "credentials") {
				t.Errorf("error %q, want it to say unreachable", msg)
			}
		})
	}
}

// TestServeRefusedRedisCredentials: a service whose Redis refuses the
// password stops at once with that reason, instead of waiting for a Redis
// that will never let it in; the password is not logged.
func TestServeRefusedRedisCredentials(t *testing.T) {
	rs := redistest.NewPrivate(t)
	rs.RequirePassword(t, redisRightPw)
	_, ariURL := newSim(t, 0.02)
	cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Redis.Password = redisWrongPw
	logs := &logSink{}
	svc, err := service.New(cfg, service.Options{Logger: logs.logger(t)})
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	defer svc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = svc.Run(ctx)
	if !errors.Is(err, service.ErrRedisAuth) || !strings.Contains(err.Error(), "refused the credentials") {
		t.Fatalf("Run = %v; want the refused credentials", err)
	}
	if strings.Contains(err.Error(), redisWrongPw) {
		t.Errorf("error %q holds the password", err)
	}
	logs.assertNoSecrets(t, "Redis password", []string{redisWrongPw, redisRightPw})
}

// TestServeRedisUnreachableAtStart: a Redis where nothing listens at start
// is logged as unreachable and is not fatal (it may come up later).
func TestServeRedisUnreachableAtStart(t *testing.T) {
	rs := redistest.New(t)
	_, ariURL := newSim(t, 0.02)
	cfg := baseConfig(t, rs, ariURL, testUser, testPassword, testApp, "PJSIP/{number}@trunk", "PJSIP/agent{id}", 1)
	cfg.Redis.URL = "redis://" + freeAddr(t) + "/0"
	logs := &logSink{}
	r := start(t, cfg, service.Options{Logger: logs.logger(t)})
	waitFor(t, 10*time.Second, "the unreachable Redis to be logged", func() bool {
		return strings.Contains(logs.String(), "is unreachable")
	})
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v while Redis was unreachable; it must keep retrying", err)
	default:
	}
	if strings.Contains(logs.String(), "refused the credentials") {
		t.Errorf("an unreachable Redis was logged as refusing the credentials:\n%s", logs)
	}
}

// TestOpenStore: the commands' store is on the configured Redis under the
// key prefix, checked once when opened; a Redis that refuses the password
// or does not answer is reported by OpenStore itself.
func TestOpenStore(t *testing.T) {
	rs := redistest.NewPrivate(t)
	rs.RequirePassword(t, redisRightPw)
	cfg := config.Default()
	cfg.Redis.URL = "redis://:" + redisRightPw + "@" + rs.Addr() + "/0"
	cfg.Redis.KeyPrefix = "open-store-test"
	ctx := context.Background()

	rdb, store, err := service.OpenStore(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("OpenStore = %v", err)
	}
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("the client OpenStore returned does not answer: %v", err)
	}
	if _, err := store.UpsertDebts(ctx, campaign.Rules{CampaignID: "c1"}, []campaign.Debt{
		{ID: "d1", CampaignID: "c1", DebtorName: "Lê Văn An", Phones: []string{"+84912000001"}, DueDate: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("the store wrote no key")
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, cfg.Redis.KeyPrefix+":") {
			t.Errorf("key %q is not under redis.key_prefix %q", k, cfg.Redis.KeyPrefix)
		}
	}

	wrong := *cfg
	wrong.Redis.URL = "redis://:" + redisWrongPw + "@" + rs.Addr() + "/0"
	if _, _, err := service.OpenStore(ctx, &wrong, nil); !errors.Is(err, service.ErrRedisAuth) {
		t.Errorf("OpenStore with a wrong password = %v; want %v", err, service.ErrRedisAuth)
	}
	down := *cfg
	down.Redis.URL = "redis://" + freeAddr(t) + "/0"
	if _, _, err := service.OpenStore(ctx, &down, nil); !errors.Is(err, service.ErrRedisUnreachable) {
		t.Errorf("OpenStore on a Redis where nothing listens = %v; want %v", err, service.ErrRedisUnreachable)
	}
}
