package procs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// A process started with spinEnv set spins until killed: the neighbour
// the tests below keep the cores busy with.
const spinEnv = "KEYCONSOLE_PROCS_TEST_SPIN"

func TestMain(m *testing.M) {
	if os.Getenv(spinEnv) != "" {
		for {
		}
	}
	os.Exit(m.Run())
}

// neighbours starts a spinning process for each of the cores, as busy a
// neighbour as there can be; they are killed when t ends.
func neighbours(t *testing.T, n int) {
	for range n {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), spinEnv+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
}

// watchOrSkip is a watch of this process's cores, or skips t where the
// processors are left to Go (GOMAXPROCS set, a CPU limit).
func watchOrSkip(t *testing.T) *watch {
	w, why := newWatch(os.Getenv, cgroupRoot, "/proc/self/cgroup")
	if w == nil {
		t.Skip("processors left to Go here: " + why)
	}
	return w
}

// Processes spinning on every core are seen as others' time, most of it.
func TestWatchSeesNeighbours(t *testing.T) {
	w := watchOrSkip(t)
	neighbours(t, len(w.cpus))
	w.sample() // from their start
	time.Sleep(time.Second)
	share, err := w.sample()
	if err != nil {
		t.Fatal(err)
	}
	if share < 0.5 {
		t.Errorf("others took %.2f of the cores' time, want most of it", share)
	}
}

// The process's own time is not counted as others': spinning on every
// core, it leaves others no more than the rest of the cores' time.
func TestWatchTakesOffItsOwnTime(t *testing.T) {
	w := watchOrSkip(t)
	own := func() float64 {
		st, err := w.self.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return st.CPUTime()
	}
	must := func(r reading, err error) reading {
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r0, own0 := must(w.read()), own()
	stop := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for range w.cpus {
		wg.Go(func() {
			for time.Now().Before(stop) {
			}
		})
	}
	wg.Wait()
	r1, own1 := must(w.read()), own()
	total := r1.total - r0.total
	others, mine := (r1.others-r0.others)/total, (own1-own0)/total
	if mine < 0.1 {
		t.Fatalf("spinning on every core took %.2f of their time", mine)
	}
	if others > 1-mine+0.1 {
		t.Errorf("others took %.2f of the cores' time while this process took %.2f", others, mine)
	}
}

// With neighbours busy, Run raises the processors to twice the cores, and
// leaves Go's default when it stops.
func TestRunRaisesProcessorsBesideNeighbours(t *testing.T) {
	base := len(watchOrSkip(t).cpus)
	neighbours(t, base)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, os.Getenv, Config{Every: 100 * time.Millisecond}); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); runtime.GOMAXPROCS(0) != 2*base; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%d processors after 10 s beside busy neighbours, want %d", runtime.GOMAXPROCS(0), 2*base)
		}
	}
	cancel()
	<-done
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("%d processors once Run stopped, want Go's default %d", got, base)
	}
}

// No watch, and so no change, where the operator set GOMAXPROCS.
func TestNoWatchWhereGOMAXPROCSIsSet(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		if k == "GOMAXPROCS" {
			return "2"
		}
		return ""
	}
	if w, why := newWatch(getenv, cgroupRoot, "/proc/self/cgroup"); w != nil || why != "GOMAXPROCS is set" {
		t.Errorf("a watch (%v, %q) though GOMAXPROCS is set", w != nil, why)
	}
}

// A CPU limit is found at the process's cgroup or one above it, under
// either version of cgroups; "max" and -1 are no limit.
func TestCPULimitedReadsTheCgroups(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		self  string            // as /proc/self/cgroup
		files map[string]string // under the cgroups' root
		want  bool
	}{
		{"v2 unlimited", "0::/app/web\n", map[string]string{"app/web/cpu.max": "max 100000\n", "app/cpu.max": "max 100000\n"}, false},
		{"v2 limited", "0::/app/web\n", map[string]string{"app/web/cpu.max": "150000 100000\n"}, true},
		{"v2 limited above", "0::/app/web\n", map[string]string{"app/web/cpu.max": "max 100000\n", "app/cpu.max": "50000 100000\n"}, true},
		{"v2 hybrid", "0::/app\n", map[string]string{"unified/app/cpu.max": "100000 100000\n"}, true},
		{"v1 unlimited", "3:cpuset:/\n2:cpu,cpuacct:/app\n", map[string]string{"cpu,cpuacct/app/cpu.cfs_quota_us": "-1\n"}, false},
		{"v1 limited", "2:cpu,cpuacct:/app\n", map[string]string{"cpu,cpuacct/app/cpu.cfs_quota_us": "50000\n"}, true},
		{"v1 apart", "1:cpu:/\n2:cpuacct:/\n", map[string]string{"cpu/cpu.cfs_quota_us": "200000\n"}, true},
		{"v1 quota in another controller's file", "2:cpuset:/app\n", map[string]string{"cpuset/app/cpu.cfs_quota_us": "50000\n"}, false},
		{"none readable", "0::/app\n", nil, false},
	}
	for _, c := range cases {
		root := t.TempDir()
		for name, text := range c.files {
			p := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		self := filepath.Join(t.TempDir(), "cgroup")
		if err := os.WriteFile(self, []byte(c.self), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := cpuLimited(root, self); got != c.want {
			t.Errorf("%s: limited %v, want %v", c.name, got, c.want)
		}
	}
}
