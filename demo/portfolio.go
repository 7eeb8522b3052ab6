// Package demo runs duecall end to end on embedded defaults: an in-process
// Redis (miniredis) unless a real one is given, the PBX simulator unless a
// real Asterisk is given, a synthetic Vietnamese debt portfolio and simulated
// agents. It is what `duecall demo` runs.
package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Gia", "Bảo"}
	givenNames  = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
	// Mobile prefixes in use since the 2018 renumbering (Viettel, Vinaphone,
	// MobiFone, Vietnamobile).
	mobilePrefixes = []string{"32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88", "90", "91", "93", "94", "96", "97", "98"}
	products       = []string{"consumer loan", "credit card", "motorbike instalment", "phone instalment", "cash loan"}
)

// PortfolioHeader is the CSV header WritePortfolio writes: the importer's
// documented columns plus two profile columns.
var PortfolioHeader = []string{"debt_id", "debtor_name", "phone", "phone2", "amount", "currency", "due_date", "timezone", "priority", "product", "contract_no"}

// WritePortfolio writes n synthetic Vietnamese debts as CSV: +84 mobile
// numbers, VND amounts, due dates from 30 days ago to 3 days ahead of now.
// The same seed gives the same portfolio.
func WritePortfolio(w io.Writer, n int, seed uint64, now time.Time) error {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cw := csv.NewWriter(w)
	if err := cw.Write(PortfolioHeader); err != nil {
		return err
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	row := make([]string, len(PortfolioHeader))
	for i := 0; i < n; i++ {
		name := familyNames[r.IntN(len(familyNames))] + " " + middleNames[r.IntN(len(middleNames))] + " " + givenNames[r.IntN(len(givenNames))]
		phone2 := ""
		if r.IntN(4) == 0 {
			phone2 = mobile(r)
		}
		amount := (500 + r.IntN(49500)) * 1000 // 500,000 to 50,000,000 VND
		due := today.AddDate(0, 0, 3-r.IntN(34))
		row[0] = fmt.Sprintf("D%07d", i+1)
		row[1] = name
		row[2] = mobile(r)
		row[3] = phone2
		row[4] = fmt.Sprint(amount)
		row[5] = "VND"
		row[6] = due.Format("2006-01-02")
		row[7] = "Asia/Ho_Chi_Minh"
		row[8] = fmt.Sprint(r.IntN(4))
		row[9] = products[r.IntN(len(products))]
		row[10] = fmt.Sprintf("HD%09d", r.IntN(1_000_000_000))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func mobile(r *rand.Rand) string {
	return fmt.Sprintf("+84%s%07d", mobilePrefixes[r.IntN(len(mobilePrefixes))], r.IntN(10_000_000))
}
