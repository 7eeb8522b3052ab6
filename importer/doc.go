// Package importer loads a campaign's debts from a CSV file into a
// campaign.Store, streaming: memory depends on the batch size, not on the
// size of the file.
//
// # File format
//
// The file is CSV in UTF-8 (a byte-order mark is tolerated; UTF-16 files are
// refused with a hint to save them as "CSV UTF-8"). Fields are separated by
// commas; when the header line holds more semicolons or tabs than commas,
// that separator is used instead (Excel in many European locales writes
// semicolons). Fields may be quoted with '"', a quote inside a quoted field
// is doubled (""), and quoted fields may span lines. Blank lines, and rows
// whose fields are all empty, are skipped (the latter are counted in
// Summary.Skipped).
//
// The first line is the header. Column names are matched case-insensitively
// and in any order; surrounding spaces are ignored.
//
// Required columns:
//
//	debt_id      the debt's unique ID in the campaign: 1 to 128 characters,
//	             no spaces or control characters. Importing a debt_id that
//	             exists updates that debt (an upsert), so re-importing a
//	             file is safe.
//	debtor_name  the debtor's name, 1 to 256 characters.
//	phone        the main phone number (see "Phone numbers" below).
//	amount       the amount owed in the currency's major unit: digits with an
//	             optional "." and at most 6 decimals ("1500000", "12.50").
//	             No thousands separators, no sign, no exponent: "1.500.000"
//	             and "1,500,000" are refused, because "." and "," mean the
//	             opposite in Vietnamese and English and a silent 1000-fold
//	             error is worse than a refused row. Leading zeros are
//	             dropped; decimals are kept as written.
//	currency     an ISO 4217 code, three letters in any case ("VND", "usd"),
//	             stored in upper case.
//	due_date     the day the debt falls due, YYYY-MM-DD ("2025-03-31") or
//	             DD/MM/YYYY, day first as written in Vietnam ("31/03/2025";
//	             leading zeros optional: "5/3/2025" is 5 March). Years
//	             1900 to 2199.
//
// Optional columns:
//
//	phone2, phone3  more numbers of the debtor, dialled when the earlier
//	                ones fail. A number equal to an earlier one (after
//	                normalisation) is dropped.
//	timezone        the debtor's IANA time zone ("Asia/Ho_Chi_Minh"). The
//	                calling window follows it rather than the numbers'
//	                zones; see "Warnings" below.
//	priority        a whole number from 0 to 15, higher is dialled first
//	                among debts whose next attempt falls in the same
//	                second (the queue orders by next-attempt time first).
//	notes           free text shown to the agent.
//
// Every other column is kept, under its header name as written, in the
// debt's Profile and shown on the agent's screen; empty values are left out.
// Columns with an empty header name (trailing separators) are ignored.
//
// All values are trimmed of surrounding spaces. Every row must have as many
// fields as the header. A row (with its quoted line breaks) may be at most
// 64 KiB: a longer one, usually an unclosed quote, stops the import.
//
// # Phone numbers
//
// Numbers are normalised to E.164 with phone.Normalize and Options'
// DefaultRegion for numbers written without a country code: "0912 345 678",
// "+84 912 345 678", "0084912345678" and "912345678" are all
// "+84912345678" with region VN. Vietnamese mobile numbers from before the
// 2018 renumbering ("0166 123 4567") are converted to the new form
// ("+84361234567"). Invalid numbers make the row fail.
//
// # Errors and duplicates
//
// A header that lacks a required column stops the import before any row
// with an error wrapping ErrHeader. A row with an invalid value is reported
// as a RowError (line, column, reason, and the value, masked for phones and
// names) and skipped; every invalid value of the row is reported. Valid rows
// are imported whatever the other rows hold.
//
// A debt_id repeated in the file is an update: the later row wins, and
// Summary.Duplicates counts those rows. To count them the importer keeps
// an 8-byte hash per distinct debt_id (about 25 MB per million rows in a Go
// map); everything else it holds is one batch.
//
// # Warnings
//
// A valid row that may not be what was meant is imported as written and
// reported as a RowWarning in Summary.Warnings (the first 100;
// Summary.WarningCount counts them all, Summary.Warned the rows). Names
// never appear in warnings, and numbers are masked with phone.Mask.
//
// The one warning today is about the timezone column. The compliance
// engine takes the debtor's calling window from the timezone column when
// it is set, and only otherwise from the zones the debtor's numbers map to
// (compliance.ZonesForDebt and compliance.PhoneZones). A row is warned
// about when its timezone keeps a different clock from every zone of every
// number that can be placed in a zone, e.g. "America/New_York" with only
// Vietnamese numbers: the debtor would be called in New York's hours,
// which can be night in Vietnam. It may be right (a debtor living abroad),
// hence a warning and not an error. Numbers that cannot be placed
// ("Etc/Unknown", such as +800 freephone numbers) are left out, and a row
// none of whose numbers can be placed gets no warning.
//
// Two zones keep the same clock when their UTC offsets are equal at every
// moment of the 365 days from the import (Options.Now), daylight saving
// included. Zone names are not compared, so aliases (Asia/Saigon and
// Asia/Ho_Chi_Minh) and zones that keep one clock (Europe/Dublin for an
// Irish number that the phone data places in Europe/London, or
// Australia/Melbourne and Australia/Sydney) give no warning, while
// America/Phoenix with a Denver number does: the clocks differ in summer.
// A zone with the same clock in another country (Asia/Bangkok with a
// Vietnamese number) gives no warning either: the calling hours are the
// same.
package importer
