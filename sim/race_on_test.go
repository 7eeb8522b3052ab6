//go:build race

package sim

// raceEnabled shortens the simulated days under the race detector.
const raceEnabled = true
