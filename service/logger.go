package service

import (
	"context"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/duecall/duecall/config"
)

// NewLogger builds the process logger from the log settings, writing to w.
func NewLogger(c config.Log, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %q: expected debug, info, warn or error", c.Level)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch c.Format {
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	case "", "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	default:
		return nil, fmt.Errorf("log.format: %q: expected console or json", c.Format)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level)), nil
}

// redisLogger routes go-redis's own messages (connection pool failures)
// into zap instead of its default stderr logger.
type redisLogger struct{ log *zap.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

// RouteRedisLogs sends go-redis's log output to log (process-wide).
func RouteRedisLogs(log *zap.Logger) { redis.SetLogger(redisLogger{log: log}) }
