package procs

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"keyconsole/internal/tick"
)

// Run watches the cores until ctx is done, raising and lowering the
// processors, and leaves Go's default when it returns. It returns at once,
// changing nothing, where the operator set GOMAXPROCS, a cgroup's CPU
// limit decides Go's default (processors above it would be throttled,
// not run), or the cores cannot be read.
func Run(ctx context.Context, getenv func(string) string, cfg Config) {
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, why := newWatch(getenv, cgroupRoot, "/proc/self/cgroup")
	if w == nil {
		log.Info("processors left to Go", "procs", runtime.GOMAXPROCS(0), "why", why)
		return
	}
	g := governor{base: runtime.GOMAXPROCS(0)}
	defer func() {
		if g.raised {
			runtime.SetDefaultGOMAXPROCS()
		}
	}()
	tick.Every(ctx, cfg.Every, func() bool {
		share, err := w.sample()
		if err != nil {
			log.Warn("processors left to Go", "procs", g.base, "why", unreadable+err.Error())
			return false
		}
		procs, changed := g.next(share)
		switch {
		case !changed:
		case g.raised:
			runtime.GOMAXPROCS(procs)
			log.Info("processors raised: other processes keep the cores busy", "procs", procs, "others", percent(share))
		default:
			runtime.SetDefaultGOMAXPROCS() // and Go's own updates with it
			log.Info("processors back to Go's default", "procs", procs, "others", percent(share))
		}
		return true
	})
}

// percent is share as a percentage, for a log line.
func percent(share float64) string { return strconv.Itoa(int(math.Round(share*100))) + "%" }

const cgroupRoot = "/sys/fs/cgroup"

// watch samples how much of the process's cores other processes use.
type watch struct {
	fs   procfs.FS
	self procfs.Proc
	cpus []int64 // the cores the process may run on
	last reading
}

// reading is the cores' time so far, in seconds: all of it, and what
// processes other than this one spent running on them.
type reading struct{ total, others float64 }

// newWatch is a watch of the cores, or nil and why the processors are
// left to Go.
func newWatch(getenv func(string) string, cgroups, selfCgroup string) (*watch, string) {
	if getenv("GOMAXPROCS") != "" {
		return nil, "GOMAXPROCS is set"
	}
	if cpuLimited(cgroups, selfCgroup) {
		return nil, "a cgroup limits the CPU"
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, unreadable + err.Error()
	}
	w := &watch{}
	for i := 0; len(w.cpus) < set.Count(); i++ {
		if set.IsSet(i) {
			w.cpus = append(w.cpus, int64(i))
		}
	}
	if len(w.cpus) != runtime.GOMAXPROCS(0) {
		return nil, "Go's processors are not the cores"
	}
	var err error
	if w.fs, err = procfs.NewDefaultFS(); err != nil {
		return nil, unreadable + err.Error()
	}
	if w.self, err = w.fs.Self(); err != nil {
		return nil, unreadable + err.Error()
	}
	if w.last, err = w.read(); err != nil {
		return nil, unreadable + err.Error()
	}
	return w, ""
}

// unreadable begins the reason given when /proc does not tell the cores.
const unreadable = "the cores could not be read: "

// sample is the share of the cores' time others spent since the last.
func (w *watch) sample() (float64, error) {
	r, err := w.read()
	if err != nil {
		return 0, err
	}
	total, others := r.total-w.last.total, r.others-w.last.others
	w.last = r
	if total <= 0 {
		return 0, nil
	}
	return min(max(others/total, 0), 1), nil
}

// read sums the cores' time from /proc/stat and takes off the process's
// own. Time in interrupts counts as no one's: a server's own network
// traffic is handled there, and it is no neighbour.
func (w *watch) read() (reading, error) {
	st, err := w.fs.Stat()
	if err != nil {
		return reading{}, err
	}
	own, err := w.self.Stat()
	if err != nil {
		return reading{}, err
	}
	var r reading
	for _, id := range w.cpus {
		c, ok := st.CPU[id]
		if !ok {
			return reading{}, errors.New("no line for a core in /proc/stat")
		}
		busy := c.User + c.Nice + c.System // guests' time is in User
		r.others += busy
		r.total += busy + c.Idle + c.Iowait + c.IRQ + c.SoftIRQ + c.Steal
	}
	r.others -= own.CPUTime()
	return r, nil
}

// cpuLimited tells whether a cgroup's CPU limit applies to the process
// (selfCgroup lists its groups, as /proc/self/cgroup does), at its own
// group or one above, under either version of cgroups mounted at root.
func cpuLimited(root, selfCgroup string) bool {
	b, err := os.ReadFile(selfCgroup)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dirs []string // where the hierarchy may be mounted
		var name string   // the file that holds a group's limit
		switch {
		case parts[0] == "0" && parts[1] == "": // version 2
			dirs, name = []string{root, path.Join(root, "unified")}, "cpu.max"
		case slices.Contains(strings.Split(parts[1], ","), "cpu"): // version 1
			dirs, name = []string{path.Join(root, "cpu"), path.Join(root, "cpu,cpuacct")}, "cpu.cfs_quota_us"
		default:
			continue
		}
		for _, dir := range dirs {
			for group := path.Clean(parts[2]); ; group = path.Dir(group) {
				if limitIn(path.Join(dir, group, name)) {
					return true
				}
				if group == "/" || group == "." {
					break
				}
			}
		}
	}
	return false
}

// limitIn tells whether the cgroup file (cpu.max or cpu.cfs_quota_us) sets
// a limit: its first field is a quota rather than "max" or -1.
func limitIn(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 0 && f[0] != "max" && f[0] != "-1"
}
