// Package compliance decides whether a debt may be called now under a
// campaign's debt-collection rules, and if not, when it may be called next.
//
// A Policy holds the rules: the calling window in the debtor's local time,
// the days of the week and the campaign's holidays, attempt caps per debtor,
// debt and number, the cool-off after a conversation and the no-recall
// period after an abandoned call, and the campaign's abandon-rate ceiling.
// Preset returns the policies for Vietnam ("vn"), US Regulation F
// ("us-regf"), the UK ("uk") and no rules ("none"); a campaign overrides
// single values with Overrides, and LooserThan lists the overrides that
// weaken the preset.
//
// ZonesForDebt finds the debtor's time zones (the debt's timezone column,
// else the zones of its phone numbers, else the campaign's default zone).
// Check is pure: it evaluates every rule against a History of attempts and
// flags at one instant and returns a Decision naming the rule that blocks
// the call and the first instant at which every rule allows it. It has no
// clock, no storage and no logging, so the same logic can be ported to an
// atomic Redis script and checked against it; Limits lists the attempt
// counts such a script has to make.
//
// All calendar math uses Go's time zone database, embedded in the binary
// (time/tzdata), and follows the local wall clock across daylight-saving
// changes.
package compliance

import _ "time/tzdata" // zone data for machines without /usr/share/zoneinfo
