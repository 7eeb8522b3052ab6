// Package sim is a discrete-event simulation of a call centre that runs
// duecall's production dialer: the dialer.Engine in its Synchronous mode
// (the same call state machine, agent pool, routing, abandon handling and
// pacers as the live dialer) drives a simulated PBX (PBX) and an endless
// campaign Store on a virtual Clock, so an 8-hour day with 50 agents (S2)
// runs in one or two seconds (measured on a 2-core machine: 0.6 s with the
// progressive pacer, 1.9 s with the predictive one) and every result is
// reproducible from a seed.
//
// A Population draws each dial's fate (live answer, machine, busy,
// invalid, no answer; ring, talk and machine times) from the seed alone,
// in dial order, so every pacer meets the same debtors. Scenarios returns
// the six scenarios of issue 3; Run simulates one day and measures it from
// the PBX's ground truth; RunBenchmark runs pacers × scenarios × seeds and
// WriteMarkdown renders the table of docs/BENCHMARKS.md.
package sim
