package validate

import (
	"strings"
	"testing"
	"time"
)

// now is fixed so that expiry results are exact: a Sunday afternoon in June.
var now = time.Date(2025, 6, 15, 13, 45, 0, 0, time.UTC)

// checkMsg asserts that got is empty when want is, and otherwise contains want.
func checkMsg(t *testing.T, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("unexpected message %q", got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("message %q does not contain %q", got, want)
	}
}

// days is a duration of whole days.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func at(t time.Time) *time.Time { return &t }
