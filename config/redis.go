package config

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/redis/go-redis/v9"
)

// UniversalOptions builds go-redis options for redis.NewUniversalClient:
//
//   - without addresses, a single server from URL (redis://, rediss:// with
//     TLS, or unix://), with the URL's query options (dial_timeout,
//     pool_size, ...);
//   - with addresses and master_name, a Sentinel-managed master;
//   - with several addresses and no master_name, a Redis Cluster.
//
// Username, Password and a non-zero DB override those of the URL.
func (r Redis) UniversalOptions() (*redis.UniversalOptions, error) {
	if len(r.Addresses) > 0 {
		return &redis.UniversalOptions{
			Addrs:      slices.Clone(r.Addresses),
			MasterName: r.MasterName,
			Username:   r.Username,
			Password:   r.Password,
			DB:         r.DB,
		}, nil
	}
	o, err := redis.ParseURL(r.URL)
	if err != nil {
		return nil, fmt.Errorf("redis.url %s: %s: %w", quote(redactURL(r.URL)), urlErrorText(err), ErrInvalidValue)
	}
	u := &redis.UniversalOptions{
		Addrs:                 []string{o.Addr},
		ClientName:            o.ClientName,
		DB:                    o.DB,
		Protocol:              o.Protocol,
		Username:              o.Username,
		Password:              o.Password,
		MaxRetries:            o.MaxRetries,
		MinRetryBackoff:       o.MinRetryBackoff,
		MaxRetryBackoff:       o.MaxRetryBackoff,
		DialTimeout:           o.DialTimeout,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		PoolFIFO:              o.PoolFIFO,
		PoolSize:              o.PoolSize,
		MaxConcurrentDials:    o.MaxConcurrentDials,
		PoolTimeout:           o.PoolTimeout,
		MinIdleConns:          o.MinIdleConns,
		MaxIdleConns:          o.MaxIdleConns,
		MaxActiveConns:        o.MaxActiveConns,
		ConnMaxIdleTime:       o.ConnMaxIdleTime,
		ConnMaxLifetime:       o.ConnMaxLifetime,
		ConnMaxLifetimeJitter: o.ConnMaxLifetimeJitter,
		TLSConfig:             o.TLSConfig,
	}
	if o.Network == "unix" {
		// UniversalOptions has no network field: dial the socket.
		path := o.Addr
		u.Dialer = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
	}
	if r.Username != "" {
		u.Username = r.Username
	}
	if r.Password != "" {
		u.Password = r.Password
	}
	if r.DB != 0 {
		u.DB = r.DB
	}
	return u, nil
}
