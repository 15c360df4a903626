package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz says the process is up; it touches nothing else.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the database can serve (the file still the one
// opened, a write goes through), and if not, why.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Check(ctx); err != nil {
		if s.unready.due(err.Error(), s.now()) {
			s.logger.Error("not ready", "err", err)
		}
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// unreadyLog logs a reason once a minute, not once a probe: probes come
// every few seconds from every load balancer.
type unreadyLog struct {
	mu     sync.Mutex
	reason string
	at     time.Time
}

func (l *unreadyLog) due(reason string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if reason == l.reason && now.Sub(l.at) < time.Minute {
		return false
	}
	l.reason, l.at = reason, now
	return true
}
