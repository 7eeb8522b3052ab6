package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of its own for one test: masters only, the
// 16384 slots split evenly between them.
type Cluster struct {
	nodes  []*process
	prefix string
	client *redis.ClusterClient
}

// NewCluster starts a Redis Cluster of n masters (n >= 1) for the test and
// stops it when the test ends. Without a redis-server binary the test fails
// when DUECALL_TEST_REQUIRE_REDIS=1 and is skipped otherwise (miniredis has
// no cluster mode).
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("redistest: cluster of %d nodes", n)
	}
	bin, err := findBinary()
	if err != nil {
		if requireRedis() {
			t.Fatalf("redistest: %v, and %s=1", err, EnvRequire)
		}
		t.Skipf("redistest: %v; cluster test skipped", err)
	}
	c := &Cluster{prefix: UniquePrefix()}
	for i := 0; i < n; i++ {
		p, err := startProcess(bin, t.TempDir(), nil,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
		)
		if err != nil {
			t.Fatalf("redistest: cluster node %d: %v", i, err)
		}
		t.Cleanup(p.stop)
		c.nodes = append(c.nodes, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.form(ctx); err != nil {
		t.Fatalf("redistest: form cluster: %v", err)
	}
	c.client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = c.client.Close() })
	if err := c.client.ForEachShard(ctx, func(ctx context.Context, s *redis.Client) error {
		return s.Ping(ctx).Err()
	}); err != nil {
		t.Fatalf("redistest: cluster ping: %v", err)
	}
	return c
}

// Addrs are the nodes' host:port.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, p := range c.nodes {
		addrs[i] = p.addr()
	}
	return addrs
}

// Client is a cluster client, closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient { return c.client }

// Prefix is a key prefix unique to this test.
func (c *Cluster) Prefix() string { return c.prefix }

// form assigns the slots, joins the nodes and waits until every node
// reports a healthy cluster that knows every node.
func (c *Cluster) form(ctx context.Context) error {
	clients := make([]*redis.Client, len(c.nodes))
	for i, p := range c.nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: p.addr()})
		defer clients[i].Close()
	}
	n := len(c.nodes)
	for i, cl := range clients {
		lo, hi := i*16384/n, (i+1)*16384/n-1
		args := []any{"cluster", "addslots"}
		for s := lo; s <= hi; s++ {
			args = append(args, s)
		}
		if err := cl.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("node %s addslots %d-%d: %w", c.nodes[i].addr(), lo, hi, err)
		}
	}
	for i := 1; i < n; i++ {
		if err := clients[0].Do(ctx, "cluster", "meet", "127.0.0.1", c.nodes[i].port).Err(); err != nil {
			return fmt.Errorf("cluster meet %s: %w", c.nodes[i].addr(), err)
		}
	}
	want := []string{"cluster_state:ok", "cluster_slots_ok:16384", "cluster_known_nodes:" + strconv.Itoa(n)}
	for {
		ready := true
		var last string
		for _, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("cluster info: %w", err)
			}
			for _, w := range want {
				if !strings.Contains(info, w) {
					ready, last = false, info
				}
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %w; last info: %s", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
