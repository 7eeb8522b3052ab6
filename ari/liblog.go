package ari

import (
	"fmt"
	"strings"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/inconshreveable/log15"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// RouteLibraryLogs sends the log15 output of ari/v5 (native.Logger and
// ari.Logger, package globals) to l. New calls it with the client's logger,
// so the last Client created wins; call it again to choose. Values under
// keys that look secret (password, secret, token, api_key, authorization)
// are redacted.
func RouteLibraryLogs(l *zap.Logger) {
	h := NewLibraryLogHandler(l)
	native.Logger.SetHandler(h)
	ari.Logger.SetHandler(h)
}

// NewLibraryLogHandler returns a log15.Handler writing to l (zap.NewNop()
// when nil), for log15 loggers such as ari/v5's.
func NewLibraryLogHandler(l *zap.Logger) log15.Handler {
	if l == nil {
		l = zap.NewNop()
	}
	return zapHandler{log: l}
}

// zapHandler is a log15.Handler writing to zap.
type zapHandler struct {
	log *zap.Logger
}

// Log implements log15.Handler.
func (h zapHandler) Log(r *log15.Record) error {
	lvl := zapcore.DebugLevel
	switch r.Lvl {
	case log15.LvlCrit, log15.LvlError:
		lvl = zapcore.ErrorLevel
	case log15.LvlWarn:
		lvl = zapcore.WarnLevel
	case log15.LvlInfo:
		lvl = zapcore.InfoLevel
	}
	ce := h.log.Check(lvl, r.Msg)
	if ce == nil {
		return nil
	}
	fields := make([]zap.Field, 0, len(r.Ctx)/2+1)
	for i := 0; i < len(r.Ctx); i += 2 {
		key := fmt.Sprint(r.Ctx[i])
		if i+1 >= len(r.Ctx) {
			fields = append(fields, zap.String("log15_odd_key", key))
			break
		}
		if secretKey(key) {
			fields = append(fields, zap.String(key, "[REDACTED]"))
			continue
		}
		val := r.Ctx[i+1]
		if err, ok := val.(error); ok {
			fields = append(fields, zap.NamedError(key, err))
			continue
		}
		fields = append(fields, zap.Any(key, val))
	}
	ce.Write(fields...)
	return nil
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "secret", "token", "api_key", "apikey", "authorization"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
