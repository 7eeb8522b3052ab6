package pacing

import "testing"

func TestPower(t *testing.T) {
	tests := []struct {
		name  string
		ratio float64
		st    State
		want  int
	}{
		{"no agents", 2, State{MaxLines: 10}, 0},
		{"two per ready agent", 2, State{MaxLines: 10, Agents: agents(AgentReady, AgentReady)}, 4},
		{"ratio 1 is progressive", 1, State{MaxLines: 10, Agents: agents(AgentReady, AgentReady), Calls: calls(CallRinging)}, 1},
		{"busy agents get nothing", 3, State{MaxLines: 10, Agents: agents(AgentOnCall, AgentWrapUp)}, 0},
		{"pending calls count", 2, State{MaxLines: 10, Agents: agents(AgentReady, AgentReady), Calls: calls(CallDialing, CallRinging, CallWaiting)}, 1},
		{"talking calls do not count", 2, State{MaxLines: 10, Agents: agents(AgentReady, AgentOnCall), Calls: calls(CallTalking)}, 2},
		{"rounds half up", 1.5, State{MaxLines: 10, Agents: agents(AgentReady)}, 2},
		{"rounds down", 1.4, State{MaxLines: 10, Agents: agents(AgentReady)}, 1},
		{"capped by free lines", 3, State{MaxLines: 4, Agents: agents(AgentReady, AgentReady), Calls: calls(CallTalking)}, 3},
		{"never negative", 2, State{MaxLines: 10, Agents: agents(AgentReady), Calls: calls(CallRinging, CallRinging, CallRinging)}, 0},
		{"bad ratio acts as 1", 0, State{MaxLines: 10, Agents: agents(AgentReady)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Power{Ratio: tt.ratio}).Lines(tt.st); got != tt.want {
				t.Fatalf("Lines = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCountsUsedWhenSet(t *testing.T) {
	st := State{MaxLines: 10, Agents: agents(AgentReady), Calls: calls(CallRinging)}
	c := &Counts{}
	c.Agents[AgentReady] = 3
	c.Calls[CallRinging] = 1
	c.Calls[CallWaiting] = 1
	st.Counts = c
	if st.AgentsIn(AgentReady) != 3 || st.Pending() != 2 || st.CallsIn(CallWaiting) != 1 {
		t.Fatal("counts ignored")
	}
	if (Progressive{}).Lines(st) != 1 {
		t.Fatal("progressive with counts")
	}
}
