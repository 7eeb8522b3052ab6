package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files

	"github.com/duecall/duecall/campaign"
)

const testCampaign = "camp-1"

func testOptions() Options {
	return Options{
		CampaignID:    testCampaign,
		Rules:         campaign.Rules{RemindBefore: 24 * time.Hour},
		DefaultRegion: "VN",
	}
}

type result struct {
	sum    Summary
	store  *fakeStore
	errors []RowError // as passed to OnRowError
	err    error
}

func importString(t testing.TB, store *fakeStore, data string, opts Options) result {
	t.Helper()
	if store == nil {
		store = newFakeStore()
	}
	var res result
	res.store = store
	opts.OnRowError = func(e RowError) { res.errors = append(res.errors, e) }
	res.sum, res.err = Import(context.Background(), strings.NewReader(data), store, opts)
	return res
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func errorStrings(errs []RowError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImportSample(t *testing.T) {
	res := importString(t, nil, readFile(t, "testdata/sample.csv"), testOptions())
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := Summary{Rows: 20, Imported: 20, Created: 20}
	if !reflect.DeepEqual(res.sum, want) {
		t.Fatalf("summary = %+v, want %+v; errors:\n%s", res.sum, want, strings.Join(errorStrings(res.sum.Errors), "\n"))
	}
	if n := res.store.len(); n != 20 {
		t.Fatalf("store has %d debts, want 20", n)
	}
	checks := []campaign.Debt{
		{
			ID: "HD-2025-0001", CampaignID: testCampaign, DebtorName: "Nguyễn Văn An",
			Phones: []string{"+84912345678"}, Amount: "1500000", Currency: "VND",
			DueDate: date(2025, 3, 31), Timezone: "Asia/Ho_Chi_Minh", Priority: 5,
			Notes:   "Khách hàng hẹn trả cuối tháng",
			Profile: map[string]string{"contract_no": "HĐ/TD/0001", "province": "Hà Nội"},
		},
		{
			// Old 11-digit mobile, no time zone, priority 7.
			ID: "HD-2025-0003", CampaignID: testCampaign, DebtorName: "Lê Hoàng Phúc",
			Phones: []string{"+84361234567"}, Amount: "12000000", Currency: "VND",
			DueDate: date(2025, 3, 15), Priority: 7, Notes: "Số cũ 11 số",
			Profile: map[string]string{"contract_no": "HĐ/TD/0003", "province": "Hải Phòng"},
		},
		{
			// 00 prefix, old number as phone2, DD/MM/YYYY date, no priority.
			ID: "HD-2025-0004", CampaignID: testCampaign, DebtorName: "Phạm Minh Châu",
			Phones: []string{"+84902223344", "+84827654321"}, Amount: "830000", Currency: "VND",
			DueDate: date(2025, 4, 15), Timezone: "Asia/Ho_Chi_Minh",
			Profile: map[string]string{"contract_no": "HĐ/TD/0004", "province": "Đà Nẵng"},
		},
		{
			// HCMC landline, quoted notes with a comma, decimals kept.
			ID: "HD-2025-0005", CampaignID: testCampaign, DebtorName: "Hoàng Thị Lan",
			Phones: []string{"+842838295555", "+84935444555"}, Amount: "4200000.50", Currency: "VND",
			DueDate: date(2025, 5, 1), Timezone: "Asia/Ho_Chi_Minh", Priority: 2,
			Notes:   "Gọi giờ hành chính, không gọi sau 17h",
			Profile: map[string]string{"contract_no": "HĐ/TD/0005", "province": "TP. Hồ Chí Minh"},
		},
		{
			// Same number twice in two spellings, old Gmobile as phone3,
			// lower-case currency.
			ID: "HD-2025-0006", CampaignID: testCampaign, DebtorName: "Huỳnh Văn Đức",
			Phones: []string{"+84868123456", "+84592223333"}, Amount: "650000", Currency: "VND",
			DueDate: date(2025, 3, 20),
			Profile: map[string]string{"contract_no": "HĐ/TD/0006", "province": "Cần Thơ"},
		},
		{
			ID: "HD-2025-0014", CampaignID: testCampaign, DebtorName: "Dương Minh Tuấn",
			Phones: []string{"+84357246810"}, Amount: "430000", Currency: "VND",
			DueDate: date(2025, 3, 25),
			Profile: map[string]string{"contract_no": "HĐ/TD/0014", "province": "Thanh Hóa"},
		},
		{
			ID: "HD-2025-0020", CampaignID: testCampaign, DebtorName: "Tạ Quang Huy",
			Phones: []string{"+84819246357"}, Amount: "680000", Currency: "VND",
			DueDate: date(2025, 3, 30), Notes: `Hỏi "anh Huy" khi gọi`,
			Profile: map[string]string{"contract_no": "HĐ/TD/0020", "province": "Lâm Đồng"},
		},
	}
	for _, want := range checks {
		got, ok := res.store.debt(testCampaign, want.ID)
		if !ok {
			t.Errorf("debt %s not stored", want.ID)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("debt %s:\n got %+v\nwant %+v", want.ID, got, want)
		}
	}
}

func TestImportSampleInvalid(t *testing.T) {
	res := importString(t, nil, readFile(t, "testdata/sample_invalid.csv"), testOptions())
	if res.err != nil {
		t.Fatal(res.err)
	}
	wantErrors := []string{
		`line 3, column phone: not a valid phone number for region VN (got "********")`,
		`line 4, column phone: not a valid phone number: contains letters (got "0912****78")`,
		`line 5, column amount: thousands separators are not allowed; write digits with an optional "." before the decimals (got "1.500.000")`,
		`line 6, column amount: must not be negative (got "-50000")`,
		`line 7, column amount: exponent notation is not allowed; write all digits (got "1.5e6")`,
		`line 8, column currency: must be a 3-letter ISO 4217 code like VND or USD (got "VNĐ")`,
		`line 9, column currency: not an ISO 4217 currency code (got "ABC")`,
		`line 10, column due_date: not a real date (day out of range) (got "31/02/2025")`,
		`line 11, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "2025/03/31")`,
		`line 12, column timezone: not an IANA time zone name like Asia/Ho_Chi_Minh (got "Asia/Hanoi")`,
		`line 13, column priority: must be a whole number from 0 to 15 (got "20")`,
		`line 14, column debt_id: must not contain spaces or control characters (got "HD 9013")`,
		`line 15, column debtor_name: required`,
		`line 16: has 6 fields, the header has 10`,
		`line 17, column phone2: not a valid phone number for region VN (got "0521******67")`,
		`line 18, column debt_id: required`,
		`line 18, column amount: thousands separators are not allowed; write digits with an optional "." before the decimals (got "3 000 000")`,
		`line 20: CSV syntax error at character 14: a '"' in a field that does not start with one (quote the whole field and double the '"' inside it)`,
	}
	if got := errorStrings(res.errors); !reflect.DeepEqual(got, wantErrors) {
		t.Errorf("row errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantErrors, "\n"))
	}
	if got := errorStrings(res.sum.Errors); !reflect.DeepEqual(got, wantErrors) {
		t.Errorf("summary errors differ from OnRowError's:\n%s", strings.Join(got, "\n"))
	}
	wantSum := Summary{Rows: 21, Imported: 3, Created: 2, Updated: 0, Failed: 17, Skipped: 1, Duplicates: 1, ErrorCount: 18}
	gotSum := res.sum
	gotSum.Errors = nil
	if !reflect.DeepEqual(gotSum, wantSum) {
		t.Errorf("summary = %+v, want %+v", gotSum, wantSum)
	}
	// Line 19 repeated HD-9001 of line 2 in the same batch: the later row won.
	d, _ := res.store.debt(testCampaign, "HD-9001")
	if d.Amount != "1750000" || !d.DueDate.Equal(date(2025, 4, 30)) || d.Priority != 6 ||
		!reflect.DeepEqual(d.Phones, []string{"+84912111222", "+84361234567"}) {
		t.Errorf("HD-9001 = %+v, want the values of line 19", d)
	}
	d, _ = res.store.debt(testCampaign, "HD-9021")
	if !reflect.DeepEqual(d.Phones, []string{"+84821234567"}) || !d.DueDate.Equal(date(2025, 4, 5)) {
		t.Errorf("HD-9021 = %+v", d)
	}
	// Nothing of a failed row reaches the store.
	if n := res.store.len(); n != 2 {
		t.Errorf("store has %d debts, want 2", n)
	}
}

// The header used by the row validation tests, and a valid row.
var (
	rowHeader = []string{"debt_id", "debtor_name", "phone", "phone2", "phone3", "amount", "currency", "due_date", "timezone", "priority", "notes", "branch"}
	rowBase   = map[string]string{
		"debt_id": "D-1", "debtor_name": "Nguyễn Văn An", "phone": "0912345678",
		"amount": "1500000", "currency": "VND", "due_date": "2025-03-31",
	}
)

func csvLines(t testing.TB, records ...[]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func rowWith(set map[string]string) []string {
	rec := make([]string, len(rowHeader))
	for i, h := range rowHeader {
		v, ok := set[h]
		if !ok {
			v = rowBase[h]
		}
		rec[i] = v
	}
	return rec
}

func TestRowValidation(t *testing.T) {
	base := campaign.Debt{
		ID: "D-1", CampaignID: testCampaign, DebtorName: "Nguyễn Văn An",
		Phones: []string{"+84912345678"}, Amount: "1500000", Currency: "VND", DueDate: date(2025, 3, 31),
	}
	with := func(f func(d *campaign.Debt)) campaign.Debt {
		d := base
		d.Phones = append([]string(nil), base.Phones...)
		f(&d)
		return d
	}
	long := strings.Repeat("x", 129)
	tests := []struct {
		name string
		set  map[string]string
		want campaign.Debt // when errs is nil
		errs []string
	}{
		{"valid", nil, base, nil},
		{"values trimmed", map[string]string{"debt_id": " D-1 ", "debtor_name": "  Nguyễn Văn An ", "amount": " 1500000 ", "currency": " VND"}, base, nil},
		{"debt id 128 chars", map[string]string{"debt_id": long[:128]}, with(func(d *campaign.Debt) { d.ID = long[:128] }), nil},
		{"debt id unicode", map[string]string{"debt_id": "HĐ/01"}, with(func(d *campaign.Debt) { d.ID = "HĐ/01" }), nil},
		{"debt id empty", map[string]string{"debt_id": ""}, base, []string{`line 2, column debt_id: required`}},
		{"debt id too long", map[string]string{"debt_id": long}, base, []string{`line 2, column debt_id: longer than 128 characters (got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…")`}},
		{"debt id space", map[string]string{"debt_id": "D 1"}, base, []string{`line 2, column debt_id: must not contain spaces or control characters (got "D 1")`}},
		{"debt id control", map[string]string{"debt_id": "D\x011"}, base, []string{`line 2, column debt_id: must not contain spaces or control characters (got "D\x011")`}},
		{"debt id not utf8", map[string]string{"debt_id": "D\xff1"}, base, []string{`line 2, column debt_id: not valid UTF-8 text (save the file as "CSV UTF-8") (got "D�1")`}},

		{"name empty", map[string]string{"debtor_name": " "}, base, []string{`line 2, column debtor_name: required`}},
		{"name control", map[string]string{"debtor_name": "Nguyễn\tAn"}, base, []string{`line 2, column debtor_name: must not contain control characters (got "N***")`}},
		{"name not utf8 (Windows-1258 file)", map[string]string{"debtor_name": "Nguy\xd2n"}, base, []string{`line 2, column debtor_name: not valid UTF-8 text (save the file as "CSV UTF-8") (got "N***")`}},
		{"name too long", map[string]string{"debtor_name": strings.Repeat("Â", 257)}, base, []string{`line 2, column debtor_name: longer than 256 characters (got "Â***")`}},

		{"phone old number", map[string]string{"phone": "0166 123 4567"}, with(func(d *campaign.Debt) { d.Phones = []string{"+84361234567"} }), nil},
		{"phone landline", map[string]string{"phone": "(024) 3825 1234"}, with(func(d *campaign.Debt) { d.Phones = []string{"+842438251234"} }), nil},
		{"three phones", map[string]string{"phone2": "+84 24 3825 1234", "phone3": "0129 123 4567"},
			with(func(d *campaign.Debt) { d.Phones = []string{"+84912345678", "+842438251234", "+84821234567"} }), nil},
		{"duplicate phones removed", map[string]string{"phone2": "+84 912 345 678", "phone3": "0084912345678"}, base, nil},
		{"phone3 without phone2", map[string]string{"phone3": "0983 111 222"},
			with(func(d *campaign.Debt) { d.Phones = []string{"+84912345678", "+84983111222"} }), nil},
		{"phone empty", map[string]string{"phone": ""}, base, []string{`line 2, column phone: required`}},
		{"phone too short", map[string]string{"phone": "0912 34"}, base, []string{`line 2, column phone: not a valid phone number: too short for region VN (got "*******")`}},
		{"phone invalid", map[string]string{"phone": "+8452123456"}, base, []string{`line 2, column phone: not a valid phone number for region VN (got "+845*****56")`}},
		{"phone letters", map[string]string{"phone": "0912 345 678 ext 9"}, base, []string{`line 2, column phone: not a valid phone number: contains letters (got "0912************ 9")`}},
		{"phone2 invalid", map[string]string{"phone2": "0521 234 567"}, base, []string{`line 2, column phone2: not a valid phone number for region VN (got "0521******67")`}},
		{"phone3 invalid", map[string]string{"phone3": "12"}, base, []string{`line 2, column phone3: not a valid phone number: too short for region VN (got "**")`}},

		{"amount zero", map[string]string{"amount": "0"}, with(func(d *campaign.Debt) { d.Amount = "0" }), nil},
		{"amount leading zeros", map[string]string{"amount": "000150"}, with(func(d *campaign.Debt) { d.Amount = "150" }), nil},
		{"amount decimals kept", map[string]string{"amount": "12.50"}, with(func(d *campaign.Debt) { d.Amount = "12.50" }), nil},
		{"amount leading dot", map[string]string{"amount": ".5"}, with(func(d *campaign.Debt) { d.Amount = "0.5" }), nil},
		{"amount trailing dot", map[string]string{"amount": "5."}, with(func(d *campaign.Debt) { d.Amount = "5" }), nil},
		{"amount 18 digits 6 decimals", map[string]string{"amount": "123456789012345678.123456"}, with(func(d *campaign.Debt) { d.Amount = "123456789012345678.123456" }), nil},
		{"amount empty", map[string]string{"amount": ""}, base, []string{`line 2, column amount: required`}},
		{"amount comma thousands", map[string]string{"amount": "1,500,000"}, base, []string{`line 2, column amount: thousands separators are not allowed; write digits with an optional "." before the decimals (got "1,500,000")`}},
		{"amount decimal comma", map[string]string{"amount": "12,5"}, base, []string{`line 2, column amount: thousands separators are not allowed; write digits with an optional "." before the decimals (got "12,5")`}},
		{"amount dot thousands", map[string]string{"amount": "1.500.000"}, base, []string{`line 2, column amount: thousands separators are not allowed; write digits with an optional "." before the decimals (got "1.500.000")`}},
		{"amount negative", map[string]string{"amount": "-1"}, base, []string{`line 2, column amount: must not be negative (got "-1")`}},
		{"amount exponent", map[string]string{"amount": "1E6"}, base, []string{`line 2, column amount: exponent notation is not allowed; write all digits (got "1E6")`}},
		{"amount plus", map[string]string{"amount": "+5"}, base, []string{`line 2, column amount: not a decimal number (got "+5")`}},
		{"amount currency sign", map[string]string{"amount": "100₫"}, base, []string{`line 2, column amount: not a decimal number (got "100₫")`}},
		{"amount dot only", map[string]string{"amount": "."}, base, []string{`line 2, column amount: not a decimal number (got ".")`}},
		{"amount too large", map[string]string{"amount": "1234567890123456789"}, base, []string{`line 2, column amount: too large (more than 18 digits before the decimal point) (got "1234567890123456789")`}},
		{"amount too many decimals", map[string]string{"amount": "0.1234567"}, base, []string{`line 2, column amount: more than 6 decimals (got "0.1234567")`}},

		{"currency lower case", map[string]string{"currency": "usd"}, with(func(d *campaign.Debt) { d.Currency = "USD" }), nil},
		{"currency VES (2018)", map[string]string{"currency": "VES"}, with(func(d *campaign.Debt) { d.Currency = "VES" }), nil},
		{"currency empty", map[string]string{"currency": ""}, base, []string{`line 2, column currency: must be a 3-letter ISO 4217 code like VND or USD`}},
		{"currency two letters", map[string]string{"currency": "VN"}, base, []string{`line 2, column currency: must be a 3-letter ISO 4217 code like VND or USD (got "VN")`}},
		{"currency digit", map[string]string{"currency": "VN1"}, base, []string{`line 2, column currency: must be a 3-letter ISO 4217 code like VND or USD (got "VN1")`}},
		{"currency unknown", map[string]string{"currency": "VDN"}, base, []string{`line 2, column currency: not an ISO 4217 currency code (got "VDN")`}},
		{"currency no-currency code", map[string]string{"currency": "XXX"}, base, []string{`line 2, column currency: not an ISO 4217 currency code (got "XXX")`}},

		{"date dd/mm/yyyy", map[string]string{"due_date": "05/03/2025"}, with(func(d *campaign.Debt) { d.DueDate = date(2025, 3, 5) }), nil},
		{"date d/m/yyyy", map[string]string{"due_date": "5/3/2025"}, with(func(d *campaign.Debt) { d.DueDate = date(2025, 3, 5) }), nil},
		{"date leap day", map[string]string{"due_date": "2024-02-29"}, with(func(d *campaign.Debt) { d.DueDate = date(2024, 2, 29) }), nil},
		{"date empty", map[string]string{"due_date": ""}, base, []string{`line 2, column due_date: required`}},
		{"date not leap", map[string]string{"due_date": "2025-02-29"}, base, []string{`line 2, column due_date: not a real date (day out of range) (got "2025-02-29")`}},
		{"date month 13", map[string]string{"due_date": "01/13/2025"}, base, []string{`line 2, column due_date: not a real date (month out of range) (got "01/13/2025")`}},
		{"date dd-mm-yyyy", map[string]string{"due_date": "31-03-2025"}, base, []string{`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "31-03-2025")`}},
		{"date one-digit month iso", map[string]string{"due_date": "2025-3-31"}, base, []string{`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "2025-3-31")`}},
		{"date two-digit year", map[string]string{"due_date": "31/03/25"}, base, []string{`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "31/03/25")`}},
		{"date with time", map[string]string{"due_date": "2025-03-31T00:00:00Z"}, base, []string{`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "2025-03-31T00:00:00Z")`}},
		{"date excel serial", map[string]string{"due_date": "45747"}, base, []string{`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "45747")`}},
		{"date year too early", map[string]string{"due_date": "0025-03-31"}, base, []string{`line 2, column due_date: year must be from 1900 to 2199 (got "0025-03-31")`}},

		{"timezone", map[string]string{"timezone": "Asia/Ho_Chi_Minh"}, with(func(d *campaign.Debt) { d.Timezone = "Asia/Ho_Chi_Minh" }), nil},
		{"timezone link", map[string]string{"timezone": "Asia/Saigon"}, with(func(d *campaign.Debt) { d.Timezone = "Asia/Saigon" }), nil},
		{"timezone UTC", map[string]string{"timezone": "UTC"}, with(func(d *campaign.Debt) { d.Timezone = "UTC" }), nil},
		{"timezone unknown", map[string]string{"timezone": "Asia/Hanoi"}, base, []string{`line 2, column timezone: not an IANA time zone name like Asia/Ho_Chi_Minh (got "Asia/Hanoi")`}},
		{"timezone Local", map[string]string{"timezone": "Local"}, base, []string{`line 2, column timezone: not an IANA time zone name like Asia/Ho_Chi_Minh (got "Local")`}},
		{"timezone offset", map[string]string{"timezone": "+07:00"}, base, []string{`line 2, column timezone: not an IANA time zone name like Asia/Ho_Chi_Minh (got "+07:00")`}},
		{"timezone path", map[string]string{"timezone": "../../etc/passwd"}, base, []string{`line 2, column timezone: not an IANA time zone name like Asia/Ho_Chi_Minh (got "../../etc/passwd")`}},

		{"priority 0", map[string]string{"priority": "0"}, base, nil},
		{"priority 15", map[string]string{"priority": " 15 "}, with(func(d *campaign.Debt) { d.Priority = 15 }), nil},
		{"priority 16", map[string]string{"priority": "16"}, base, []string{`line 2, column priority: must be a whole number from 0 to 15 (got "16")`}},
		{"priority negative", map[string]string{"priority": "-1"}, base, []string{`line 2, column priority: must be a whole number from 0 to 15 (got "-1")`}},
		{"priority fraction", map[string]string{"priority": "1.5"}, base, []string{`line 2, column priority: must be a whole number from 0 to 15 (got "1.5")`}},
		{"priority word", map[string]string{"priority": "high"}, base, []string{`line 2, column priority: must be a whole number from 0 to 15 (got "high")`}},

		{"notes multi-line", map[string]string{"notes": "dòng 1\ndòng 2"}, with(func(d *campaign.Debt) { d.Notes = "dòng 1\ndòng 2" }), nil},
		{"notes not utf8, value hidden", map[string]string{"notes": "secret \xff"}, base, []string{`line 2, column notes: not valid UTF-8 text (save the file as "CSV UTF-8")`}},
		{"profile column", map[string]string{"branch": " Hà Nội "}, with(func(d *campaign.Debt) { d.Profile = map[string]string{"branch": "Hà Nội"} }), nil},
		{"profile not utf8, value hidden", map[string]string{"branch": "H\xe0 N\xf4i"}, base, []string{`line 2, column branch: not valid UTF-8 text (save the file as "CSV UTF-8")`}},

		{"every error of the row", map[string]string{"debt_id": "", "phone": "abc", "amount": "x", "due_date": "soon"}, base, []string{
			`line 2, column debt_id: required`,
			`line 2, column phone: not a valid phone number: contains letters (got "***")`,
			`line 2, column amount: not a decimal number (got "x")`,
			`line 2, column due_date: must be a date as YYYY-MM-DD or DD/MM/YYYY (got "soon")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := csvLines(t, rowHeader, rowWith(tt.set))
			res := importString(t, nil, data, testOptions())
			if res.err != nil {
				t.Fatal(res.err)
			}
			if got := errorStrings(res.errors); !reflect.DeepEqual(got, tt.errs) && !(len(got) == 0 && len(tt.errs) == 0) {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.errs, "\n"))
			}
			if tt.errs != nil {
				if res.sum.Failed != 1 || res.sum.Imported != 0 || res.store.len() != 0 {
					t.Fatalf("summary %+v, store %d: want the row failed and nothing stored", res.sum, res.store.len())
				}
				for _, e := range res.errors {
					if !errors.Is(e, campaign.ErrInvalid) {
						t.Errorf("row error %v does not wrap campaign.ErrInvalid", e)
					}
				}
				return
			}
			if res.sum.Imported != 1 || res.sum.Failed != 0 {
				t.Fatalf("summary %+v, want 1 imported", res.sum)
			}
			got, _ := res.store.debt(testCampaign, tt.want.ID)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("debt:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFieldCount(t *testing.T) {
	data := "debt_id,debtor_name,phone,amount,currency,due_date\n" +
		"D-1,An,0912345678,100,VND,2025-03-31\n" +
		"D-2,Bình,0912345679,100,VND\n" +
		"D-3,Cúc,0912345670,100,VND,2025-03-31,extra\n" +
		"D-4,Dũng,0912345671,100,VND,2025-03-31,\n" +
		"\n" +
		",,,,,\n" +
		"  ,  ,,,,\n" +
		",,\n" +
		"D-5,Em,0912345672,100,VND,2025-03-31\n"
	res := importString(t, nil, data, testOptions())
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := []string{
		"line 3: has 5 fields, the header has 6",
		"line 4: has 7 fields, the header has 6",
		"line 5: has 7 fields, the header has 6",
	}
	if got := errorStrings(res.errors); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The empty line is not a row; the three blank rows are skipped.
	if s := res.sum; s.Rows != 8 || s.Imported != 2 || s.Failed != 3 || s.Skipped != 3 {
		t.Errorf("summary %+v", s)
	}
}

func TestMultiLineRowLineNumbers(t *testing.T) {
	data := "debt_id,debtor_name,phone,amount,currency,due_date,notes\n" +
		"D-1,An,0912345678,100,VND,2025-03-31,\"line one\nline two\nline three\"\n" +
		"D-2,Bình,0912345679,bad,VND,2025-03-31,\n"
	res := importString(t, nil, data, testOptions())
	want := []string{`line 5, column amount: not a decimal number (got "bad")`}
	if got := errorStrings(res.errors); !reflect.DeepEqual(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
}

func TestHeader(t *testing.T) {
	const row = "D-1,Nguyễn Văn An,0912345678,1500000,VND,2025-03-31\n"
	tests := []struct {
		name    string
		data    string
		wantErr string // "" when the header is fine
	}{
		{"documented order", "debt_id,debtor_name,phone,amount,currency,due_date\n" + row, ""},
		{"any case and spaces", " Debt_ID , DEBTOR_NAME,Phone,Amount ,Currency,Due_Date\n" + row, ""},
		{"utf8 bom", "\xef\xbb\xbfdebt_id,debtor_name,phone,amount,currency,due_date\n" + row, ""},
		{"crlf", "debt_id,debtor_name,phone,amount,currency,due_date\r\n" + strings.ReplaceAll(row, "\n", "\r\n"), ""},
		{"semicolons", "debt_id;debtor_name;phone;amount;currency;due_date\n" + strings.ReplaceAll(row, ",", ";"), ""},
		{"tabs", "debt_id\tdebtor_name\tphone\tamount\tcurrency\tdue_date\n" + strings.ReplaceAll(row, ",", "\t"), ""},
		{"semicolons with commas in a quoted header", "\"debt_id\";\"debtor_name\";\"phone\";\"amount\";\"currency\";\"due_date\";\"a,b,c,d,e,f,g\"\n" +
			strings.ReplaceAll(strings.TrimSuffix(row, "\n"), ",", ";") + ";x\n", ""},
		{"empty column names ignored", "debt_id,debtor_name,phone,amount,currency,due_date,,\n" + strings.TrimSuffix(row, "\n") + ",,\n", ""},
		{"reordered", "due_date,currency,amount,phone,debtor_name,debt_id\n2025-03-31,VND,1500000,0912345678,Nguyễn Văn An,D-1\n", ""},

		{"empty file", "", "bad CSV header: the file is empty; expected a header line: " + ExpectedHeader},
		{"only bom", "\xef\xbb\xbf", "bad CSV header: the file is empty; expected a header line: " + ExpectedHeader},
		{"only blank lines", "\n\n\r\n", "bad CSV header: the file is empty; expected a header line: " + ExpectedHeader},
		{"missing two", "debt_id,debtor_name,phone,due_date\n" + row,
			"bad CSV header: missing required column(s) amount, currency; expected header: " + ExpectedHeader +
				" (any order, any case; other columns go to the debt's profile)"},
		{"no header line", row,
			"bad CSV header: missing required column(s) debt_id, debtor_name, phone, amount, currency, due_date; expected header: " + ExpectedHeader +
				" (any order, any case; other columns go to the debt's profile)"},
		{"twice", "debt_id,debtor_name,phone,amount,currency,due_date,Phone\n" + row,
			`bad CSV header: column "Phone" appears twice (columns 3 and 7)`},
		{"utf16", "\xff\xfed\x00e\x00", `bad CSV header: the file is UTF-16 text; save it as "CSV UTF-8"`},
		{"not utf8", "debt_id,debtor_name,phone,amount,currency,due_date,t\xean\n" + row,
			`bad CSV header: column 7's name is not valid UTF-8 text; save the file as "CSV UTF-8"`},
		{"bad quote", "debt_id,\"debtor_name,phone\n",
			`bad CSV header: line 1: CSV syntax error at character 28: a quoted field is not closed properly (a '"' must be doubled inside a quoted field, and the closing '"' must be followed by the separator or the end of the line)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := importString(t, nil, tt.data, testOptions())
			if tt.wantErr == "" {
				if res.err != nil {
					t.Fatal(res.err)
				}
				if res.sum.Imported != 1 || res.sum.Failed != 0 {
					t.Fatalf("summary %+v, errors %q", res.sum, errorStrings(res.errors))
				}
				d, ok := res.store.debt(testCampaign, "D-1")
				if !ok || d.DebtorName != "Nguyễn Văn An" || d.Phones[0] != "+84912345678" {
					t.Fatalf("debt %+v", d)
				}
				return
			}
			if res.err == nil {
				t.Fatalf("no error, summary %+v", res.sum)
			}
			if !errors.Is(res.err, ErrHeader) {
				t.Errorf("error %v does not wrap ErrHeader", res.err)
			}
			if res.err.Error() != tt.wantErr {
				t.Errorf("error:\n%s\nwant:\n%s", res.err, tt.wantErr)
			}
			if res.sum.Rows != 0 || res.store.len() != 0 {
				t.Errorf("rows were read after a bad header: %+v", res.sum)
			}
		})
	}
}

func TestProfileKeepsHeaderSpelling(t *testing.T) {
	data := "debt_id,debtor_name,phone,amount,currency,due_date,Contract No,EMPTY\n" +
		"D-1,An,0912345678,100,VND,2025-03-31,HĐ-7,\n"
	res := importString(t, nil, data, testOptions())
	d, _ := res.store.debt(testCampaign, "D-1")
	if !reflect.DeepEqual(d.Profile, map[string]string{"Contract No": "HĐ-7"}) {
		t.Errorf("profile = %v", d.Profile)
	}
}

func TestReimportUpdates(t *testing.T) {
	store := newFakeStore()
	first := importString(t, store, readFile(t, "testdata/sample.csv"), testOptions())
	if first.err != nil || first.sum.Created != 20 || first.sum.Updated != 0 {
		t.Fatalf("first import: %+v, %v", first.sum, first.err)
	}
	// The same file again, with one amount changed.
	data := strings.Replace(readFile(t, "testdata/sample.csv"), ",1500000,VND,", ",1400000,VND,", 1)
	second := importString(t, store, data, testOptions())
	if second.err != nil {
		t.Fatal(second.err)
	}
	if second.sum.Created != 0 || second.sum.Updated != 20 || second.sum.Imported != 20 || second.sum.Duplicates != 0 {
		t.Errorf("second import: %+v, want 20 updated", second.sum)
	}
	if n := store.len(); n != 20 {
		t.Errorf("store has %d debts after re-import, want 20", n)
	}
	if d, _ := store.debt(testCampaign, "HD-2025-0001"); d.Amount != "1400000" {
		t.Errorf("amount = %s, want the re-imported 1400000", d.Amount)
	}
}

func TestDuplicatesAcrossAndWithinBatches(t *testing.T) {
	recs := [][]string{rowHeader}
	add := func(id, amount string) {
		recs = append(recs, rowWith(map[string]string{"debt_id": id, "amount": amount}))
	}
	add("A", "1") // batch 1
	add("B", "2")
	add("A", "3") // batch 1: same batch as the first A
	add("C", "4") // batch 2
	add("A", "5") // batch 2: A was in batch 1
	add("B", "6")
	add("D", "7") // batch 3
	opts := testOptions()
	opts.BatchSize = 3
	res := importString(t, nil, csvLines(t, recs...), opts)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := []int{3, 3}; !reflect.DeepEqual(res.store.batches, want) {
		// Batch 1 holds A, B and C (the second A merged), batch 2 A, B, D.
		t.Errorf("batches %v, want %v", res.store.batches, want)
	}
	s := res.sum
	if s.Rows != 7 || s.Imported != 7 || s.Duplicates != 3 || s.Created != 4 || s.Updated != 2 {
		t.Errorf("summary %+v", s)
	}
	for id, amount := range map[string]string{"A": "5", "B": "6", "C": "4", "D": "7"} {
		if d, _ := res.store.debt(testCampaign, id); d.Amount != amount {
			t.Errorf("debt %s amount %s, want the last row's %s", id, d.Amount, amount)
		}
	}
}

func TestBatchesAndProgress(t *testing.T) {
	recs := [][]string{rowHeader}
	for i := 0; i < 10; i++ {
		recs = append(recs, rowWith(map[string]string{"debt_id": "D-" + string(rune('a'+i))}))
	}
	recs = append(recs, rowWith(map[string]string{"debt_id": ""}))
	data := csvLines(t, recs...)
	opts := testOptions()
	opts.BatchSize = 3
	var stats []Stats
	opts.Progress = func(s Stats) { stats = append(stats, s) }
	res := importString(t, nil, data, opts)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := []int{3, 3, 3, 1}; !reflect.DeepEqual(res.store.batches, want) {
		t.Errorf("batches %v, want %v", res.store.batches, want)
	}
	if len(stats) < 4 {
		t.Fatalf("progress called %d times, want one per batch: %+v", len(stats), stats)
	}
	for i := 1; i < len(stats); i++ {
		a, b := stats[i-1], stats[i]
		if b.BytesRead < a.BytesRead || b.Rows < a.Rows || b.OK < a.OK || b.Failed < a.Failed {
			t.Errorf("progress went backwards: %+v then %+v", a, b)
		}
	}
	last := stats[len(stats)-1]
	if want := (Stats{BytesRead: int64(len(data)), Rows: 11, OK: 10, Failed: 1}); last != want {
		t.Errorf("last progress %+v, want %+v", last, want)
	}
	if first := stats[0]; first.OK != 3 || first.BytesRead <= 0 || first.BytesRead >= int64(len(data)) {
		t.Errorf("first progress %+v", first)
	}
}

func TestProgressCountsBOM(t *testing.T) {
	data := "\xef\xbb\xbfdebt_id,debtor_name,phone,amount,currency,due_date\nD-1,An,0912345678,100,VND,2025-03-31\n"
	opts := testOptions()
	var last Stats
	opts.Progress = func(s Stats) { last = s }
	if res := importString(t, nil, data, opts); res.err != nil {
		t.Fatal(res.err)
	}
	if last.BytesRead != int64(len(data)) {
		t.Errorf("BytesRead = %d, want the file size %d", last.BytesRead, len(data))
	}
}

func TestStoreErrorStopsImport(t *testing.T) {
	recs := [][]string{rowHeader}
	for i := 0; i < 7; i++ {
		recs = append(recs, rowWith(map[string]string{"debt_id": "D-" + string(rune('a'+i))}))
	}
	store := newFakeStore()
	down := errors.New("redis: connection refused")
	store.fail = func(call int) error {
		if call == 1 {
			return down
		}
		return nil
	}
	opts := testOptions()
	opts.BatchSize = 3
	res := importString(t, store, csvLines(t, recs...), opts)
	if !errors.Is(res.err, down) {
		t.Fatalf("error %v, want it to wrap the store's", res.err)
	}
	if want := "importer: store 3 debts of lines 5 to 7: redis: connection refused"; res.err.Error() != want {
		t.Errorf("error %q, want %q", res.err, want)
	}
	if res.sum.Imported != 3 || res.sum.Created != 3 || res.sum.Rows != 6 {
		t.Errorf("summary %+v, want the first batch only", res.sum)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Import(ctx, strings.NewReader(readFile(t, "testdata/sample.csv")), newFakeStore(), testOptions())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestRecordTooLarge(t *testing.T) {
	// An unclosed quote swallows the rest of a big file: the import must
	// stop instead of reading it all into one record.
	header := "debt_id,debtor_name,phone,amount,currency,due_date\n"
	good := "D-1,An,0912345678,100,VND,2025-03-31\n"
	body := "D-2,\"Bình,0912345679,100,VND,2025-03-31\n" + strings.Repeat("D-3,Cúc,0912345670,100,VND,2025-03-31\n", 10000) // ~400 KB
	res := importString(t, nil, header+good+body, testOptions())
	if !errors.Is(res.err, errRecordTooLarge) {
		t.Fatalf("error %v, want errRecordTooLarge", res.err)
	}
	if !strings.Contains(res.err.Error(), "the row after line 2") {
		t.Errorf("error %q does not say where", res.err)
	}
	// A row just under the limit is fine.
	notes := strings.Repeat("n", maxRecordBytes-200)
	res = importString(t, nil, header[:len(header)-1]+",notes\n"+strings.TrimSuffix(good, "\n")+","+notes+"\n", testOptions())
	if res.err != nil || res.sum.Imported != 1 {
		t.Fatalf("big row: %+v, %v", res.sum, res.err)
	}
}

func TestErrorsKeptAndCounted(t *testing.T) {
	recs := [][]string{rowHeader}
	for i := 0; i < 250; i++ {
		recs = append(recs, rowWith(map[string]string{"amount": "x"}))
	}
	recs = append(recs, rowWith(nil))
	res := importString(t, nil, csvLines(t, recs...), testOptions())
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.sum.Errors) != 100 || res.sum.ErrorCount != 250 || res.sum.Failed != 250 || len(res.errors) != 250 || res.sum.Imported != 1 {
		t.Errorf("kept %d errors, count %d, failed %d, callbacks %d, imported %d",
			len(res.sum.Errors), res.sum.ErrorCount, res.sum.Failed, len(res.errors), res.sum.Imported)
	}
	if res.sum.Errors[99].Line != 101 {
		t.Errorf("the 100th kept error is of line %d, want 101", res.sum.Errors[99].Line)
	}
}

func TestNoPIIInErrors(t *testing.T) {
	const name, num = "Nguyễn Văn Bí Mật", "0912 345 679"
	data := csvLines(t, rowHeader,
		rowWith(map[string]string{"debtor_name": name, "phone": "0521 234 567", "amount": "x"}),
		rowWith(map[string]string{"debtor_name": name + "\x01", "phone2": num + "9"}),
	)
	res := importString(t, nil, data, testOptions())
	var all strings.Builder
	for _, e := range res.errors {
		all.WriteString(e.Error())
	}
	if err := res.sum.Write(&all); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Nguyễn", "Bí Mật", "0521 234 567", "521234567", num, "345 679"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("%q leaked into the errors:\n%s", secret, all.String())
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no campaign", Options{}, "importer: no campaign ID"},
		{"mismatch", Options{CampaignID: "a", Rules: campaign.Rules{CampaignID: "b"}}, `importer: campaign ID "a" differs from the rules' "b"`},
		{"region", Options{CampaignID: "a", DefaultRegion: "XY"}, `importer: unknown default phone region "XY"`},
		{"batch", Options{CampaignID: "a", BatchSize: -1}, "importer: negative batch size -1"},
		{"separator", Options{CampaignID: "a", Comma: '"'}, `importer: invalid separator '"'`},
	}
	for _, tt := range tests {
		_, err := Import(context.Background(), strings.NewReader(""), newFakeStore(), tt.opts)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	// The campaign ID may come from the rules alone.
	store := newFakeStore()
	opts := Options{Rules: campaign.Rules{CampaignID: "from-rules"}, DefaultRegion: "vn"}
	res := importString(t, store, "debt_id,debtor_name,phone,amount,currency,due_date\nD-1,An,0912345678,1,VND,2025-01-01\n", opts)
	if _, ok := store.debt("from-rules", "D-1"); res.err != nil || !ok {
		t.Errorf("campaign from rules: %v", res.err)
	}
	// An explicit separator overrides detection.
	res = importString(t, nil, "debt_id|debtor_name|phone|amount|currency|due_date\nD-1|An, Bình|0912345678|1|VND|2025-01-01\n",
		Options{CampaignID: "x", DefaultRegion: "VN", Comma: '|'})
	if res.err != nil || res.sum.Imported != 1 {
		t.Errorf("pipe separator: %+v %v", res.sum, res.err)
	}
}

func TestNoDefaultRegion(t *testing.T) {
	data := "debt_id,debtor_name,phone,amount,currency,due_date\n" +
		"D-1,An,+84912345678,1,VND,2025-01-01\n" +
		"D-2,Bình,0912345678,1,VND,2025-01-01\n"
	res := importString(t, nil, data, Options{CampaignID: "x"})
	want := []string{`line 3, column phone: not a valid phone number: no default region to read a national number; write it with "+" and the country code (got "0912****78")`}
	if got := errorStrings(res.errors); res.err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("errors %q, %v; want %q", got, res.err, want)
	}
}

func TestSummaryWrite(t *testing.T) {
	s := Summary{
		Rows: 1234567, Imported: 1234000, Created: 1200000, Updated: 33000, Failed: 560, Skipped: 7, Duplicates: 1000, ErrorCount: 102,
		Errors: []RowError{
			{Line: 17, Column: "phone", Value: "+849*****78", Reason: "not a valid phone number for region VN"},
			{Line: 18, Reason: "has 5 fields, the header has 6"},
		},
	}
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `rows read:  1,234,567
imported:   1,234,000 (created 1,200,000, updated 33,000)
duplicates: 1,000 rows repeated a debt_id of an earlier row; the later row won
blank:      7 rows skipped
failed:     560 rows (102 errors)
  line 17, column phone: not a valid phone number for region VN (got "+849*****78")
  line 18: has 5 fields, the header has 6
  ... and 100 more errors not shown
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	_ = Summary{Rows: 2, Imported: 2, Created: 2}.Write(&b)
	if want := "rows read:  2\nimported:   2 (created 2, updated 0)\nfailed:     0 rows\n"; b.String() != want {
		t.Errorf("clean summary:\n%q\nwant\n%q", b.String(), want)
	}
}
