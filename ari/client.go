package ari

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/duecall/duecall/dialer"
)

// Defaults for Options.
const (
	DefaultFormats        = "ulaw"
	DefaultRequestTimeout = 5 * time.Second
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
)

// ErrApplicationReplaced is returned (wrapped) by Run when another client
// connected an events WebSocket for the same application.
var ErrApplicationReplaced = errors.New("ARI application replaced by another client")

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("ari client closed")

// Options configures a Client.
type Options struct {
	// URL is the root of the REST interface, "http://host:8088/ari".
	URL string
	// WebsocketURL is the events WebSocket, "ws://host:8088/ari/events".
	// Default: derived from URL (http → ws, https → wss, path + "/events").
	WebsocketURL string
	// Username and Password of the ARI user (ari.conf). The password is
	// never logged.
	Username, Password string
	// Application is the Stasis application. Each duecall process needs
	// its own: a second events WebSocket for the same application takes it
	// over (ApplicationReplaced) and the first one goes deaf.
	Application string
	// Formats is passed as "formats" when originating. Default "ulaw":
	// without it Local channels run at slin192 and Asterisk saturates its
	// CPU under load.
	Formats string
	// RequestTimeout bounds every REST call (default 5 s). A context with an
	// earlier deadline wins.
	RequestTimeout time.Duration
	// Logger receives the client's logs and ari/v5's. Default: zap.NewNop().
	Logger *zap.Logger
	// MinBackoff and MaxBackoff bound the reconnection delay (defaults
	// 0.5 s and 30 s); each failed attempt doubles it, with jitter.
	MinBackoff, MaxBackoff time.Duration
}

// Client implements dialer.Telephony over the Asterisk REST Interface. Its
// Run method owns the events WebSocket; REST calls may be made from any
// goroutine. Create it with New, run Run, and Close it when done.
type Client struct {
	opts    Options
	log     *zap.Logger
	restURL string // without trailing slash
	wsURL   string // with ?app=, without credentials
	http    *http.Client

	queue  *eventQueue
	events chan dialer.Event

	connected atomic.Bool
	running   atomic.Bool

	mu       sync.Mutex // guards isClosed and runWG.Add
	isClosed bool
	closed   chan struct{}  // closed by Close
	runWG    sync.WaitGroup // Run
	pumpWG   sync.WaitGroup // the goroutine feeding events

	stats struct {
		received, delivered, ignored, unknown, malformed, connects atomic.Uint64
	}
}

var _ dialer.Telephony = (*Client)(nil)

// New validates opts and returns a Client. It does not connect: Run does.
func New(opts Options) (*Client, error) {
	return newClient(opts, defaultMaxQueued)
}

// newClient is New with the bound of the event queue (see defaultMaxQueued).
func newClient(opts Options, maxQueued int) (*Client, error) {
	rest, err := validateURL("URL", opts.URL, "http", "https")
	if err != nil {
		return nil, err
	}
	if rest.Path == "" || rest.Path == "/" {
		return nil, fmt.Errorf("ari: URL %q has no path: want the ARI root such as http://host:8088/ari", rest.Redacted())
	}
	ws := opts.WebsocketURL
	if ws == "" {
		u := *rest
		u.Scheme = map[string]string{"http": "ws", "https": "wss"}[rest.Scheme]
		u.Path = strings.TrimRight(rest.Path, "/") + "/events"
		u.RawPath = ""
		ws = u.String()
	}
	wsu, err := validateURL("WebsocketURL", ws, "ws", "wss")
	if err != nil {
		return nil, err
	}
	if opts.Username == "" {
		return nil, errors.New("ari: Username is required")
	}
	if opts.Password == "" {
		return nil, errors.New("ari: Password is required")
	}
	if opts.Application == "" {
		return nil, errors.New("ari: Application is required")
	}
	if opts.Formats == "" {
		opts.Formats = DefaultFormats
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		return nil, fmt.Errorf("ari: MaxBackoff %v is below MinBackoff %v", opts.MaxBackoff, opts.MinBackoff)
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	q := wsu.Query()
	q.Set("app", opts.Application)
	wsu.RawQuery = q.Encode()

	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64, // 100 originates at once must not churn connections
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	c := &Client{
		opts:    opts,
		log:     opts.Logger.With(zap.String("ari_application", opts.Application)),
		restURL: strings.TrimRight(rest.String(), "/"),
		wsURL:   wsu.String(),
		http:    &http.Client{Transport: transport},
		queue:   newEventQueue(maxQueued),
		events:  make(chan dialer.Event),
		closed:  make(chan struct{}),
	}
	RouteLibraryLogs(opts.Logger.Named("ari-lib"))
	c.pumpWG.Add(1)
	go c.pump()
	return c, nil
}

// validateURL parses raw and checks its scheme and host. Credentials in the
// URL are refused (they would end up in logs); the error shows the URL with
// any password redacted.
func validateURL(field, raw string, schemes ...string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("ari: %s is required (such as %s://host:8088/ari)", field, schemes[0])
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the input, which may hold a password.
		return nil, fmt.Errorf("ari: %s is not a valid URL", field)
	}
	if u.User != nil {
		return nil, fmt.Errorf("ari: %s %q must not hold credentials: use Username and Password", field, u.Redacted())
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		return nil, fmt.Errorf("ari: %s %q: scheme must be %s", field, u.Redacted(), strings.Join(schemes, " or "))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("ari: %s %q has no host", field, u.Redacted())
	}
	if (field == "URL" && u.RawQuery != "") || u.Fragment != "" {
		return nil, fmt.Errorf("ari: %s %q must not have a query or fragment", field, u.Redacted())
	}
	return u, nil
}

// Events implements dialer.Telephony. The channel is closed by Close.
func (c *Client) Events() <-chan dialer.Event { return c.events }

// Connected implements dialer.Telephony: true from the EventConnected of a
// connection until it is lost.
func (c *Client) Connected() bool { return c.connected.Load() }

// Stats counts what the event reader saw.
type Stats struct {
	Received  uint64 // WebSocket messages read
	Delivered uint64 // dialer.Events handed to the reader of Events()
	Ignored   uint64 // events not about our ids, or of no use to the dialer
	Unknown   uint64 // event types this package does not know (skipped)
	Malformed uint64 // messages that were not valid events (skipped)
	Connects  uint64 // successful (re)connections
	Queued    int    // events waiting for the reader of Events()
}

// Stats returns counters of the event stream.
func (c *Client) Stats() Stats {
	return Stats{
		Received:  c.stats.received.Load(),
		Delivered: c.stats.delivered.Load(),
		Ignored:   c.stats.ignored.Load(),
		Unknown:   c.stats.unknown.Load(),
		Malformed: c.stats.malformed.Load(),
		Connects:  c.stats.connects.Load(),
		Queued:    c.queue.len(),
	}
}

// Close stops Run, waits for it, and closes the Events channel; events not
// yet delivered are discarded. It is safe to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return nil
	}
	c.isClosed = true
	close(c.closed)
	c.mu.Unlock()

	c.runWG.Wait()
	c.queue.close()
	c.pumpWG.Wait()
	close(c.events)
	c.http.CloseIdleConnections()
	return nil
}

// pump moves events from the queue to the Events channel, one at a time,
// in order.
func (c *Client) pump() {
	defer c.pumpWG.Done()
	for {
		ev, ok := c.queue.pop()
		if !ok {
			return
		}
		select {
		case c.events <- ev:
			c.stats.delivered.Add(1)
		case <-c.closed:
			return
		}
	}
}

// lifetime returns a context that ends with ctx or with Close.
func (c *Client) lifetime(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
