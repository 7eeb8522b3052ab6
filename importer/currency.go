package importer

import "strings"

// iso4217 holds the ISO 4217 alphabetic codes accepted in the currency
// column: the current list (2025), plus codes withdrawn since 2016 that old
// ledgers may still carry. XTS (testing) and XXX (no currency) are left out.
var iso4217 = func() map[string]struct{} {
	const current = `AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD
		BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP
		COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
		GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
		KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
		MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD
		OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
		SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
		TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA
		XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG`
	const withdrawn = `ANG BYR CUC HRK LTL LVL MRO SLL STD VEF ZWL`
	m := make(map[string]struct{}, 200)
	for _, c := range strings.Fields(current + " " + withdrawn) {
		m[c] = struct{}{}
	}
	return m
}()

// parseCurrency returns the upper-case ISO 4217 code, or a reason.
func parseCurrency(s string) (string, string) {
	if len(s) != 3 {
		return "", "must be a 3-letter ISO 4217 code like VND or USD"
	}
	var b [3]byte
	for i := 0; i < 3; i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		default:
			return "", "must be a 3-letter ISO 4217 code like VND or USD"
		}
		b[i] = c
	}
	code := string(b[:])
	if _, ok := iso4217[code]; !ok {
		return "", "not an ISO 4217 currency code"
	}
	return code, ""
}
