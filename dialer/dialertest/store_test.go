package dialertest_test

import (
	"testing"

	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/campaign/campaigntest"
	"github.com/duecall/duecall/dialer/dialertest"
)

// TestStoreContract runs the campaign.Store contract suite against the
// in-memory fake, so that engine tests run on trustworthy semantics.
func TestStoreContract(t *testing.T) {
	campaigntest.RunStoreContract(t, func(t *testing.T) campaign.Store { return dialertest.NewStore() })
}
