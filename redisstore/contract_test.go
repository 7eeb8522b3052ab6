package redisstore_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/campaign/campaigntest"
	"github.com/duecall/duecall/internal/redistest"
	"github.com/duecall/duecall/redisstore"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// TestContract runs the Store contract on a real Redis: the test binary's
// redis-server, or DUECALL_TEST_REDIS_URL (falling back to miniredis, with
// a log line, when neither is available).
func TestContract(t *testing.T) {
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
		r := redistest.New(t)
		t.Logf("redis: %s", r.Kind())
		return redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	})
}

// TestContractMiniredis runs the contract on miniredis explicitly, so the
// store keeps to the commands and Lua that miniredis supports.
func TestContractMiniredis(t *testing.T) {
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
		r := redistest.NewMiniredis(t)
		return redisstore.New(r.Client(), redisstore.Options{Prefix: r.Prefix()})
	})
}

// TestContractCluster runs the contract on a three-master Redis Cluster, so
// that every script's keys are checked to be in one slot on one node.
func TestContractCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes a few seconds")
	}
	c := redistest.NewCluster(t, 3)
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
		return redisstore.New(c.Client(), redisstore.Options{Prefix: redistest.UniquePrefix()})
	})
}

// TestContractSentinel runs the contract through a Sentinel failover client.
func TestContractSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master and a sentinel")
	}
	sen := redistest.NewSentinel(t)
	var client redis.UniversalClient = sen.Client()
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store {
		return redisstore.New(client, redisstore.Options{Prefix: redistest.UniquePrefix()})
	})
}
