package web

import (
	"bytes"
	"strings"
	"testing"
)

// A request context keeps its body buffer for the next request, zeroed:
// a verification's body holds the secret it asks about. A bulk request's
// large buffer is let go.
func TestContextResetZeroesTheBody(t *testing.T) {
	t.Parallel()
	var vc visitContext
	vc.body.WriteString(`{"key":"kc_g_aSecretNobodyShouldFindAgainInMemory0"}`)
	held := vc.body.Bytes()
	vc.reset()
	if !bytes.Equal(held, make([]byte, len(held))) {
		t.Errorf("the body's bytes after a reset: %q", held)
	}
	if vc.body.Len() != 0 || vc.body.Cap() == 0 {
		t.Errorf("buffer after a reset: %d bytes of %d, want empty and kept", vc.body.Len(), vc.body.Cap())
	}
	vc.body.WriteString(strings.Repeat("x", maxKeptBody+1))
	vc.reset()
	if vc.body.Cap() != 0 {
		t.Errorf("a %d-byte buffer kept, want let go", vc.body.Cap())
	}
}
