package pacing

import "testing"

func agents(states ...AgentState) []Agent {
	out := make([]Agent, len(states))
	for i, s := range states {
		out[i] = Agent{ID: string(rune('a' + i)), State: s}
	}
	return out
}

func calls(phases ...CallPhase) []Call {
	out := make([]Call, len(phases))
	for i, p := range phases {
		out[i] = Call{Phase: p}
	}
	return out
}

func TestProgressive(t *testing.T) {
	tests := []struct {
		name string
		st   State
		want int
	}{
		{"no agents", State{MaxLines: 10}, 0},
		{"one ready", State{MaxLines: 10, Agents: agents(AgentReady)}, 1},
		{"three ready", State{MaxLines: 10, Agents: agents(AgentReady, AgentReady, AgentReady)}, 3},
		{"only busy agents", State{MaxLines: 10, Agents: agents(AgentOnCall, AgentWrapUp, AgentPaused, AgentConnecting)}, 0},
		{"ready minus ringing", State{MaxLines: 10, Agents: agents(AgentReady, AgentReady), Calls: calls(CallRinging)}, 1},
		{"ready minus claiming and dialing", State{MaxLines: 10, Agents: agents(AgentReady, AgentReady, AgentReady), Calls: calls(CallClaiming, CallDialing)}, 1},
		{"waiting counts", State{MaxLines: 10, Agents: agents(AgentReady), Calls: calls(CallWaiting)}, 0},
		{"talking does not count against ready", State{MaxLines: 10, Agents: agents(AgentReady, AgentOnCall), Calls: calls(CallTalking)}, 1},
		{"more pending than ready", State{MaxLines: 10, Agents: agents(AgentReady), Calls: calls(CallRinging, CallRinging)}, 0},
		{"capped by max lines", State{MaxLines: 2, Agents: agents(AgentReady, AgentReady, AgentReady)}, 2},
		{"talking uses lines", State{MaxLines: 3, Agents: agents(AgentReady, AgentReady, AgentOnCall, AgentOnCall), Calls: calls(CallTalking, CallTalking)}, 1},
		{"abandoning and ending use lines", State{MaxLines: 2, Agents: agents(AgentReady, AgentReady), Calls: calls(CallAbandoning, CallEnding)}, 0},
		{"lines overbooked", State{MaxLines: 1, Agents: agents(AgentReady), Calls: calls(CallTalking, CallEnding)}, 0},
		{"zero max lines", State{MaxLines: 0, Agents: agents(AgentReady)}, 0},
		{"connecting call does not count", State{MaxLines: 10, Agents: agents(AgentReady, AgentOnCall), Calls: calls(CallConnecting)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Progressive{}).Lines(tt.st); got != tt.want {
				t.Fatalf("Lines = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestStateCounts(t *testing.T) {
	st := State{
		MaxLines: 5,
		Agents:   agents(AgentReady, AgentReady, AgentOnCall, AgentWrapUp, AgentPaused),
		Calls:    calls(CallClaiming, CallRinging, CallTalking, CallWaiting),
	}
	if got := st.AgentsIn(AgentReady); got != 2 {
		t.Errorf("ready = %d", got)
	}
	if got := st.Pending(); got != 3 {
		t.Errorf("pending = %d", got)
	}
	if got := st.LinesInUse(); got != 4 {
		t.Errorf("lines = %d", got)
	}
	if got := st.FreeLines(); got != 1 {
		t.Errorf("free = %d", got)
	}
	if got := st.CallsIn(CallTalking); got != 1 {
		t.Errorf("talking = %d", got)
	}
}

func TestStats(t *testing.T) {
	s := Stats{Answered: 4, Abandoned: 1, RecentAttempts: 10, RecentAnswered: 3}
	if s.AbandonRate() != 0.25 || s.AnswerRate() != 0.3 {
		t.Fatalf("rates %v %v", s.AbandonRate(), s.AnswerRate())
	}
	if (Stats{}).AbandonRate() != 0 || (Stats{}).AnswerRate() != 0 {
		t.Fatal("zero denominators must give 0")
	}
}

func TestStrings(t *testing.T) {
	for s := AgentLoggedOut; s <= AgentPaused; s++ {
		if s.String() == "" || s.String()[0] == 'A' {
			t.Errorf("AgentState %d has no name", s)
		}
	}
	for p := CallClaiming; p <= CallEnding; p++ {
		if p.String() == "" || p.String()[0] == 'C' {
			t.Errorf("CallPhase %d has no name", p)
		}
	}
	if AgentState(99).String() != "AgentState(99)" || CallPhase(-1).String() != "CallPhase(-1)" {
		t.Error("out of range names")
	}
}

func TestFunc(t *testing.T) {
	var p Pacer = Func(func(st State) int { return st.MaxLines })
	if p.Lines(State{MaxLines: 7}) != 7 {
		t.Fatal("Func")
	}
}

func BenchmarkProgressive(b *testing.B) {
	st := State{MaxLines: 200}
	for i := range 100 {
		st.Agents = append(st.Agents, Agent{State: AgentState(2 + i%4)})
		st.Calls = append(st.Calls, Call{Phase: CallPhase(i % 8)})
	}
	p := Progressive{}
	for b.Loop() {
		p.Lines(st)
	}
}
