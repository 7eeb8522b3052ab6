package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/duecall/duecall/campaign"
)

// DebtorIDColumn is the profile column that identifies a debtor across
// debts and campaigns.
const DebtorIDColumn = "debtor_id"

// DebtorKey identifies the debtor of d, to key the per-debtor attempt
// history shared by all campaigns: "id:" and the debt's debtor_id profile
// column when the import has one, else "phone:" and a hash of the debt's
// main number (so two debts imported with the same main number share their
// caps), else the debt itself. It never holds a number in clear.
//
// campaign.Debt has no debtor id field; operators with several debts per
// debtor should import a debtor_id column, or the per-debtor caps only see
// the debts that share a main number.
func DebtorKey(d campaign.Debt) string {
	if id := strings.TrimSpace(d.Profile[DebtorIDColumn]); id != "" {
		return "id:" + id
	}
	if len(d.Phones) > 0 && d.Phones[0] != "" {
		sum := sha256.Sum256([]byte(d.Phones[0]))
		return "phone:" + hex.EncodeToString(sum[:16])
	}
	return "debt:" + d.CampaignID + "/" + d.ID
}
