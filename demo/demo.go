package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/duecall/duecall/ari/pbxsim"
	"github.com/duecall/duecall/campaign"
	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/importer"
	"github.com/duecall/duecall/service"
)

// CampaignID is the demo campaign's id.
const CampaignID = "demo"

// CompliancePreset is the demo campaign's compliance preset: none, so that
// the demo dials whatever the time of day in Vietnam. Real campaigns
// default to vn (07:00-21:00 in the debtor's zone, at most 5 calls per
// debtor per day); do-not-call, cease-communication and debt status still
// apply in the demo.
const CompliancePreset = "none"

// ComplianceNote is what `duecall demo` prints about CompliancePreset.
const ComplianceNote = "compliance: preset none for the demo, which dials at any hour; real campaigns default to vn " +
	"(07:00-21:00 in the debtor's zone, at most 5 calls per debtor per day): see docs/COMPLIANCE.md"

// Options configure a demo run.
type Options struct {
	Debts    int           // synthetic debts to import (default 300)
	Agents   int           // simulated agents (default 5)
	Duration time.Duration // how long to dial (wall clock; default 40 s)
	// Speed runs the simulated PBX, the agents and the campaign timings this
	// many times faster than real time (default 20). Ignored with ARIURL.
	Speed float64
	Seed  uint64
	// RedisURL uses a real Redis (under a fresh key prefix) instead of the
	// embedded one.
	RedisURL string
	// ARIURL uses a real Asterisk instead of the simulator; then
	// ARIUsername, ARIPassword, DialTemplate and AgentTemplate apply.
	ARIURL, ARIUsername, ARIPassword string
	DialTemplate                     string // default "PJSIP/{number}@trunk"
	AgentTemplate                    string // default "PJSIP/agent{id}"; {id} is 101, 102, ...
	HTTPListen                       string // default 127.0.0.1:0 (any free port)
	// Pacing is the pacing mode: progressive, power, adaptive or
	// predictive (default predictive).
	Pacing string
	// Progress receives a live progress line about twice a second ("" to
	// end); nil for none.
	Progress func(line string)
	Logger   *zap.Logger
}

// Summary is the demo's result: the campaign's KPI counters as recorded in
// Redis, plus the connect latency.
type Summary struct {
	CallsPlaced         int64               `json:"calls_placed"`
	Answered            int64               `json:"answered"`
	Bridged             int64               `json:"bridged"`
	Abandoned           int64               `json:"abandoned"`
	AnsweredHangup      int64               `json:"answered_hangup"`
	Busy                int64               `json:"busy"`
	NoAnswer            int64               `json:"no_answer"`
	Congestion          int64               `json:"congestion"`
	InvalidNumber       int64               `json:"invalid_number"`
	Failed              int64               `json:"failed"`
	PromiseToPay        int64               `json:"promise_to_pay"`
	ContactRate         float64             `json:"contact_rate"`
	AbandonRate         float64             `json:"abandon_rate"`
	Occupancy           float64             `json:"occupancy"`
	CallsPerAgentHour   float64             `json:"calls_per_agent_hour"`
	TalkMinutes         float64             `json:"talk_minutes"`
	ConnectLatencyP50Ms float64             `json:"connect_latency_ms_p50"`
	ConnectLatencyP99Ms float64             `json:"connect_latency_ms_p99"`
	ConnectLatencyMaxMs float64             `json:"connect_latency_ms_max"`
	DebtsImported       int                 `json:"debts_imported"`
	Queue               campaign.QueueStats `json:"queue"`
	Agents              int                 `json:"agents"`
	Pacing              string              `json:"pacing"`
	Speed               float64             `json:"speed"`
	SimulatedSeconds    float64             `json:"simulated_seconds"`
	HTTPAddr            string              `json:"http_addr"`
}

func (o *Options) defaults() error {
	if o.Debts == 0 {
		o.Debts = 300
	}
	if o.Agents == 0 {
		o.Agents = 5
	}
	if o.Duration == 0 {
		o.Duration = 40 * time.Second
	}
	if o.Speed == 0 {
		o.Speed = 20
	}
	if o.ARIURL != "" {
		o.Speed = 1
	}
	if o.DialTemplate == "" {
		o.DialTemplate = "PJSIP/{number}@trunk"
	}
	if o.AgentTemplate == "" {
		o.AgentTemplate = "PJSIP/agent{id}"
	}
	if o.Pacing == "" {
		o.Pacing = "predictive"
	}
	if o.HTTPListen == "" {
		o.HTTPListen = "127.0.0.1:0"
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o.Validate()
}

// Validate checks the options as given, without filling in defaults: the
// command line calls it so that "--speed 0" is an error rather than the
// default.
func (o *Options) Validate() error {
	switch {
	case o.Debts < 1 || o.Debts > 1_000_000:
		return fmt.Errorf("--debts %d: expected 1 to 1000000", o.Debts)
	case o.Agents < 1 || o.Agents > 500:
		return fmt.Errorf("--agents %d: expected 1 to 500", o.Agents)
	case o.Duration < time.Second:
		return fmt.Errorf("--duration %s: expected at least 1s", o.Duration)
	case o.ARIURL == "" && (o.Speed < 1 || o.Speed > 100 || math.IsNaN(o.Speed)):
		return fmt.Errorf("--speed %g: expected 1 to 100", o.Speed)
	case o.AgentTemplate != "" && !strings.Contains(o.AgentTemplate, "{id}"):
		return fmt.Errorf("--agent-template %q: must contain {id}", o.AgentTemplate)
	}
	return nil
}

// Run runs the demo: it starts the embedded Redis and PBX simulator (unless
// real ones are given), imports a synthetic portfolio, logs in simulated
// agents, dials for Duration, drains, and returns the KPI summary.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if err := opts.defaults(); err != nil {
		return Summary{}, err
	}
	log := opts.Logger
	scale := 1 / opts.Speed

	cfg := config.Default()
	cfg.Log = config.Log{Level: "info", Format: "console"}
	cfg.HTTP.Listen = opts.HTTPListen
	cfg.Dialer.OwnerID = "demo"
	if opts.RedisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return Summary{}, fmt.Errorf("start embedded redis: %w", err)
		}
		defer mr.Close()
		cfg.Redis.URL = "redis://" + mr.Addr() + "/0"
	} else {
		cfg.Redis.URL = opts.RedisURL
		cfg.Redis.KeyPrefix = fmt.Sprintf("duecall-demo-%d", time.Now().UnixNano())
		// The demo's keys are of no use after it: leave the Redis it was
		// given as it found it.
		defer func() {
			if err := deletePrefix(cfg.Redis, cfg.Redis.KeyPrefix+":"); err != nil {
				log.Warn("could not delete the demo's keys", zap.String("key_prefix", cfg.Redis.KeyPrefix), zap.Error(err))
			}
		}()
	}
	if opts.ARIURL == "" {
		sim := pbxsim.New(pbxsim.Config{
			Username: config.DefaultARIUsername, Password: "demo", TimeScale: scale, Seed: int64(opts.Seed),
			Population: &pbxsim.Population{
				AnswerProb: 0.4, BusyProb: 0.08, CongestionProb: 0.02, InvalidProb: 0.05, MachineProb: 0.1,
				RingMin: 2 * time.Second, RingMax: 15 * time.Second, TalkMean: 150 * time.Second,
			},
			Logger: log.Named("pbxsim"),
		})
		defer sim.Close()
		base, err := sim.Listen("127.0.0.1:0")
		if err != nil {
			return Summary{}, fmt.Errorf("start PBX simulator: %w", err)
		}
		cfg.ARI.URL = base + "/ari"
		cfg.ARI.WSURL = "ws" + strings.TrimPrefix(base, "http") + "/ari/events"
		cfg.ARI.Username, cfg.ARI.Password = config.DefaultARIUsername, "demo"
	} else {
		cfg.ARI.URL = opts.ARIURL
		cfg.ARI.WSURL = ""
		cfg.ARI.Username, cfg.ARI.Password = opts.ARIUsername, opts.ARIPassword
	}
	camp := config.DefaultCampaign()
	camp.ID, camp.Name = CampaignID, "Demo: payment reminders"
	camp.DialTemplate = opts.DialTemplate
	camp.CallerID = "Duecall Demo <19001234>"
	camp.MaxLines = opts.Agents * 3
	camp.WrapupSeconds = 20
	camp.AbandonSound = "sound:vm-goodbye"
	camp.Pacing.Mode = opts.Pacing
	// The demo dials at any hour of the day: see ComplianceNote.
	camp.Compliance = config.CampaignCompliance{Preset: CompliancePreset}
	cfg.Campaigns = []config.Campaign{camp}
	for i := 0; i < opts.Agents; i++ {
		id := fmt.Sprint(101 + i)
		cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: "Agent " + id,
			Endpoint: strings.ReplaceAll(opts.AgentTemplate, "{id}", id), Campaign: CampaignID, AutoLogin: true})
	}
	if err := cfg.Finalize(); err != nil {
		return Summary{}, fmt.Errorf("demo configuration: %w", err)
	}

	svc, err := service.New(cfg, service.Options{Logger: log, TimeScale: scale, DrainTimeout: 5 * time.Second})
	if err != nil {
		return Summary{}, err
	}
	defer svc.Close()

	// The portfolio goes through the same importer as `duecall import`.
	var csv bytes.Buffer
	if err := WritePortfolio(&csv, opts.Debts, opts.Seed, time.Now()); err != nil {
		return Summary{}, err
	}
	sum, err := importer.Import(ctx, &csv, svc.Store(), importer.Options{
		CampaignID: CampaignID, Rules: camp.Rules(), DefaultRegion: cfg.Dialer.DefaultRegion, Logger: log,
	})
	if err != nil {
		return Summary{}, fmt.Errorf("import demo portfolio: %w", err)
	}
	if sum.Failed > 0 {
		return Summary{}, fmt.Errorf("demo portfolio: %d rows failed to import (a bug): %v", sum.Failed, sum.Errors)
	}

	runCtx, stop := context.WithTimeout(ctx, opts.Duration)
	defer stop()
	var wg sync.WaitGroup
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	agents := &agentSim{engine: svc.Engine(), scale: scale, rng: rand.New(rand.NewPCG(opts.Seed, 7)), seen: map[string]bool{}}
	wg.Add(1)
	go func() { defer wg.Done(); agents.run(runCtx) }()
	start := time.Now()
	if opts.Progress != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress(runCtx, svc, opts, start)
		}()
	}
	runErr := <-done
	stop()
	wg.Wait()
	if opts.Progress != nil {
		opts.Progress("")
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return Summary{}, runErr
	}
	if ctx.Err() != nil {
		return Summary{}, ctx.Err()
	}

	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := svc.Store().Counters(rctx, CampaignID)
	if err != nil {
		return Summary{}, fmt.Errorf("read KPI counters: %w", err)
	}
	q, err := svc.Store().QueueStats(rctx, CampaignID, time.Now())
	if err != nil {
		return Summary{}, fmt.Errorf("read queue: %w", err)
	}
	lat := agents.latency()
	c, k := rep.Total, rep.Total.KPIs()
	return Summary{
		CallsPlaced: c.Placed, Answered: c.Answered, Bridged: c.Bridged, Abandoned: c.Abandoned,
		AnsweredHangup: c.HungUpEarly, Busy: c.Busy, NoAnswer: c.NoAnswer, Congestion: c.Congestion,
		InvalidNumber: c.InvalidNumber, Failed: c.Failed, PromiseToPay: c.PromiseToPay,
		ContactRate: k.ContactRate, AbandonRate: k.AbandonRate, Occupancy: k.Occupancy,
		// Agent hours are simulated hours: scale calls per hour back.
		CallsPerAgentHour: k.CallsPerAgentHour * scale, TalkMinutes: c.TalkSeconds / 60 * opts.Speed,
		ConnectLatencyP50Ms: ms(lat.Quantile(0.5)), ConnectLatencyP99Ms: ms(lat.Quantile(0.99)), ConnectLatencyMaxMs: ms(lat.Max),
		DebtsImported: sum.Imported, Queue: q, Agents: opts.Agents, Pacing: opts.Pacing, Speed: opts.Speed,
		SimulatedSeconds: opts.Duration.Seconds() * opts.Speed, HTTPAddr: svc.Addr(),
	}, nil
}

// deletePrefix deletes every key starting with prefix on the Redis r names.
func deletePrefix(r config.Redis, prefix string) error {
	ropts, err := r.UniversalOptions()
	if err != nil {
		return err
	}
	rdb := redis.NewUniversalClient(ropts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 1000 {
				if err := c.Unlink(ctx, batch...).Err(); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			return c.Unlink(ctx, batch...).Err()
		}
		return nil
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return scan(ctx, c)
	default:
		return fmt.Errorf("unsupported redis client %T", rdb)
	}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// progress reports the live figures twice a second.
func progress(ctx context.Context, svc *service.Service, opts Options, start time.Time) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := svc.Engine().Status(ctx)
		if len(st.Campaigns) == 0 {
			continue
		}
		c := st.Campaigns[0]
		pbx := "PBX up"
		if !st.PBXConnected {
			pbx = "PBX DOWN"
		}
		opts.Progress(fmt.Sprintf("%3.0fs  %s level %.2f  placed %4d  ringing %2d  waiting %d  on call %2d  ready %d/%d  wrap-up %d  abandon %.1f%%  %s",
			time.Since(start).Seconds(), c.Pacing.Mode, c.Pacing.DialLevel, c.Placed, c.Ringing, c.AnsweredWaiting, c.OnCall,
			c.AgentsReady, opts.Agents, c.AgentsWrapUp, 100*c.WindowAbandonRate, pbx))
	}
}

// agentSim plays the agents: each bridged call is ended after a random
// talk time and gets a disposition.
type agentSim struct {
	engine *dialer.Engine
	scale  float64
	mu     sync.Mutex
	rng    *rand.Rand
	seen   map[string]bool
	last   dialer.HistogramSnapshot // connect latency as last seen
}

func (a *agentSim) latency() dialer.HistogramSnapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

var dispositions = []struct {
	code string
	p    float64
}{
	{campaign.DispositionPromiseToPay, 0.35}, {"callback", 0.2}, {"refused", 0.18}, {"paid", 0.1},
	{"wrong_party", 0.1}, {"disputed", 0.05}, {"fraud_suspected", 0.02},
}

func (a *agentSim) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := a.engine.Status(ctx)
		if st.Running {
			a.mu.Lock()
			a.last = st.Latency.Histogram
			a.mu.Unlock()
		}
		for _, ag := range st.Agents {
			if ag.State != dialer.AgentOnCall || ag.AttemptID == "" || a.seen[ag.AttemptID] {
				continue
			}
			a.seen[ag.AttemptID] = true
			a.mu.Lock()
			talk := time.Duration((20 + a.rng.ExpFloat64()*70) * float64(time.Second) * a.scale)
			code := pick(a.rng.Float64())
			a.mu.Unlock()
			wg.Add(1)
			go func(agentID, attemptID string) {
				defer wg.Done()
				select {
				case <-ctx.Done():
					return
				case <-time.After(talk):
				}
				// The debtor may have hung up already; then only the
				// disposition is recorded.
				_ = a.engine.EndCall(ctx, agentID)
				_ = a.engine.Disposition(ctx, agentID, attemptID, code)
			}(ag.ID, ag.AttemptID)
		}
	}
}

func pick(x float64) string {
	for _, d := range dispositions {
		if x < d.p {
			return d.code
		}
		x -= d.p
	}
	return "other"
}

// WriteTable prints the summary as a table.
func (s Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	rows := [][2]string{
		{"debts imported", fmt.Sprint(s.DebtsImported)},
		{"calls placed", fmt.Sprint(s.CallsPlaced)},
		{"answered", fmt.Sprint(s.Answered)},
		{"  bridged to an agent", fmt.Sprint(s.Bridged)},
		{"  abandoned (no agent in time)", fmt.Sprint(s.Abandoned)},
		{"  hung up before an agent", fmt.Sprint(s.AnsweredHangup)},
		{"busy", fmt.Sprint(s.Busy)},
		{"no answer", fmt.Sprint(s.NoAnswer)},
		{"congestion", fmt.Sprint(s.Congestion)},
		{"invalid number", fmt.Sprint(s.InvalidNumber)},
		{"failed", fmt.Sprint(s.Failed)},
		{"promises to pay", fmt.Sprint(s.PromiseToPay)},
		{"contact rate (answered ÷ placed)", pct(s.ContactRate)},
		{"abandon rate (abandoned ÷ answered)", pct(s.AbandonRate)},
		{"agent occupancy", pct(s.Occupancy)},
		{"calls per agent hour (simulated)", fmt.Sprintf("%.1f", s.CallsPerAgentHour)},
		{"talk minutes (simulated)", fmt.Sprintf("%.1f", s.TalkMinutes)},
		{"connect latency p50", fmt.Sprintf("%.1f ms", s.ConnectLatencyP50Ms)},
		{"connect latency p99", fmt.Sprintf("%.1f ms", s.ConnectLatencyP99Ms)},
		{"queue: due / scheduled / leased / finished", fmt.Sprintf("%d / %d / %d / %d", s.Queue.Due, s.Queue.Scheduled, s.Queue.Leased, s.Queue.Finished)},
	}
	fmt.Fprintf(w, "\nKPI summary (%d agents, %s pacing, %.0f simulated seconds at %gx speed)\n", s.Agents, s.Pacing, s.SimulatedSeconds, s.Speed)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t\n", r[0], r[1])
	}
	return tw.Flush()
}

// WriteJSON prints the summary as JSON.
func (s Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
