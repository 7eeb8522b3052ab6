package service

import (
	"fmt"

	"github.com/duecall/duecall/config"
	"github.com/duecall/duecall/dialer"
	"github.com/duecall/duecall/dialer/pacing"
)

// Pacer builds the campaign's pacer from its pacing settings.
func Pacer(c config.Campaign) (dialer.Pacer, error) {
	switch c.Pacing.Mode {
	case "", "progressive":
		return pacing.Progressive{}, nil
	default:
		return nil, fmt.Errorf("campaigns[%s].pacing.mode: %q is not supported; expected progressive", c.ID, c.Pacing.Mode)
	}
}
