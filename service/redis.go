package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/redisstore"
)

// Errors of CheckRedis.
var (
	// ErrRedisAuth: Redis refused the credentials (WRONGPASS, NOAUTH).
	ErrRedisAuth = errors.New("redis refused the credentials")
	// ErrRedisUnreachable: Redis did not answer (nothing listening, a
	// network problem, a timeout).
	ErrRedisUnreachable = errors.New("redis is unreachable")
)

// redisCheckTimeout bounds the check of Redis at startup (OpenStore,
// Service.Run).
const redisCheckTimeout = 5 * time.Second

// redisError is an error of CheckRedis: a message for the operator, the
// kind (ErrRedisAuth or ErrRedisUnreachable) and go-redis's error.
type redisError struct {
	msg  string
	kind error
	err  error
}

func (e *redisError) Error() string   { return e.msg }
func (e *redisError) Unwrap() []error { return []error{e.kind, e.err} }

// CheckRedis pings Redis once and explains a failure, naming Redis by its
// configuration with passwords redacted: an error wrapping ErrRedisAuth
// when Redis refuses the credentials, else one wrapping
// ErrRedisUnreachable. The errors never hold a password.
func CheckRedis(ctx context.Context, rdb redis.UniversalClient, rc config.Redis) error {
	err := rdb.Ping(ctx).Err()
	if err == nil {
		return nil
	}
	reason := scrubSecrets(err.Error(), rc)
	where := RedisLocation(rc)
	if redis.IsAuthError(err) {
		return &redisError{
			msg: fmt.Sprintf("redis at %s refused the credentials (%s): set redis.password or the password in redis.url / %s",
				where, reason, config.EnvName("redis.password")),
			kind: ErrRedisAuth, err: err,
		}
	}
	fix := "set redis.url, " + config.EnvName("redis.url") + " or --redis-url"
	if len(rc.Addresses) > 0 {
		fix = "set redis.addresses (and redis.master_name for Sentinel)"
	}
	return &redisError{
		msg:  fmt.Sprintf("redis at %s is unreachable: %s (%s)", where, reason, fix),
		kind: ErrRedisUnreachable, err: err,
	}
}

// RedisLocation names the configured Redis for messages, without
// passwords: the URL, or the Sentinel or Cluster addresses.
func RedisLocation(rc config.Redis) string {
	switch {
	case len(rc.Addresses) > 0 && rc.MasterName != "":
		return fmt.Sprintf("%s (Sentinel master %q)", strings.Join(rc.Addresses, ","), rc.MasterName)
	case len(rc.Addresses) > 0:
		return strings.Join(rc.Addresses, ",") + " (Cluster)"
	}
	return config.RedactURL(rc.URL)
}

// scrubSecrets replaces the configured passwords in s (go-redis's errors
// do not hold them; this keeps it so).
func scrubSecrets(s string, rc config.Redis) string {
	var secrets []string
	if rc.Password != "" {
		secrets = append(secrets, rc.Password)
	}
	if o, err := redis.ParseURL(rc.URL); err == nil && o.Password != "" {
		secrets = append(secrets, o.Password)
	}
	for _, p := range secrets {
		s = strings.ReplaceAll(s, p, config.RedactedMark)
	}
	return s
}

// newStore builds the Redis client and the store of the configuration
// (nothing is sent to Redis yet). With a logger, go-redis's own messages
// and the store's go to it; the caller closes the client.
func newStore(cfg *config.Config, log *zap.Logger) (redis.UniversalClient, *redisstore.Store, error) {
	ropts, err := cfg.Redis.UniversalOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	if log != nil {
		RouteRedisLogs(log.Named("redis"))
		log = log.Named("store")
	}
	rdb := redis.NewUniversalClient(ropts)
	return rdb, redisstore.New(rdb, redisstore.Options{Prefix: cfg.Redis.KeyPrefix, Logger: log}), nil
}

// OpenStore connects a command to the configured Redis: it builds the
// client and the store, and checks Redis once (CheckRedis, within 5 s) so
// that a wrong password or an unreachable Redis is reported at once, not
// at the first read. log may be nil (go-redis then logs to stderr). Close
// the client when done; on an error it is closed already.
func OpenStore(ctx context.Context, cfg *config.Config, log *zap.Logger) (redis.UniversalClient, *redisstore.Store, error) {
	rdb, store, err := newStore(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, redisCheckTimeout)
	defer cancel()
	if err := CheckRedis(cctx, rdb, cfg.Redis); err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return rdb, store, nil
}

// checkRedisAtStart checks Redis before the service starts: credentials
// that Redis refuses are fatal (waiting will not fix them); an unreachable
// Redis is logged and waited for, like an outage.
func (s *Service) checkRedisAtStart(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, redisCheckTimeout)
	defer cancel()
	err := CheckRedis(cctx, s.rdb, s.cfg.Redis)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrRedisAuth):
		return err
	case ctx.Err() != nil:
		return nil // stopping anyway
	}
	s.log.Error(err.Error() + "; nothing is dialled until it answers")
	return nil
}
