package main

// async.go fills two timing gaps of govmomi 0.24's simulator (issue 4), both off until a test turns
// them on through the control endpoint, so that the normal run stays fast:
//   - tasks finish before they are returned, with no progress; with `task-delay` set, a task's
//     outcome is held back: the caller gets the task queued, then sees it running with progress
//     (0, 25, 50, 75 %) and only after the delay its real outcome (success with its result, or
//     error with its fault). The work itself is done at once, as the simulator does it;
//   - leases start ready and never expire; with `lease-timeout` set, an HTTP NFC lease that receives
//     no HttpNfcLeaseProgress for that long goes to state `error` with a Timedout fault, after which
//     its Progress and Complete calls answer Timedout and its /nfc transfers are refused (403).
// The simulator keeps import leases in the caller's session, out of reach from here; a probe object in the
// registry (VmkitProbe, called internally with the caller's session cookie) hands the lease over.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

var timing = struct {
	sync.Mutex
	taskDelay    time.Duration
	leaseTimeout time.Duration
	leases       map[string]*watchedLease // by lease moref value
}{leases: map[string]*watchedLease{}}

type watchedLease struct {
	lastProgress time.Time
	done         bool
	expired      bool
}

var probeRef = types.ManagedObjectReference{Type: "VmkitProbe", Value: "vmkit-probe"}

// vmkitProbe is registered under probeRef; its one method is called internally, never by clients.
// It embeds a mo type, as every object in the registry must (SearchIndex and the property collector
// look for one in whatever they iterate over).
type vmkitProbe struct {
	mo.ExtensibleManagedObject
}

// VmkitWatchLease is the internal request that starts the expiry watch of a lease.
type VmkitWatchLease struct {
	This  types.ManagedObjectReference `xml:"_this"`
	Lease types.ManagedObjectReference `xml:"lease"`
}

// VmkitWatchLeaseResponse answers VmkitWatchLease.
type VmkitWatchLeaseResponse struct{}

type vmkitWatchLeaseBody struct {
	Res    *VmkitWatchLeaseResponse `xml:"VmkitWatchLeaseResponse,omitempty"`
	Fault_ *soap.Fault              `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *vmkitWatchLeaseBody) Fault() *soap.Fault { return b.Fault_ }

func init() {
	types.Add("VmkitWatchLease", reflect.TypeOf((*VmkitWatchLease)(nil)).Elem())
	beforeServe = append(beforeServe, func(*simulator.Model) error {
		simulator.Map.Put(&vmkitProbe{ExtensibleManagedObject: mo.ExtensibleManagedObject{Self: probeRef}})
		return nil
	})
	httpLayers = append(httpLayers, asyncLayer)
	addControlRoute("task-delay", func(_ *simulator.Model, body []byte) (interface{}, error) {
		d, err := msBody(body)
		if err == nil {
			timing.Lock()
			timing.taskDelay = d
			timing.Unlock()
		}
		return struct{}{}, err
	})
	addControlRoute("lease-timeout", func(_ *simulator.Model, body []byte) (interface{}, error) {
		d, err := msBody(body)
		if err == nil {
			timing.Lock()
			timing.leaseTimeout = d
			timing.Unlock()
		}
		return struct{}{}, err
	})
	addControlReset(func(*simulator.Model) {
		timing.Lock()
		timing.taskDelay, timing.leaseTimeout = 0, 0
		for _, l := range timing.leases {
			l.done = true
		}
		timing.leases = map[string]*watchedLease{}
		timing.Unlock()
	})
}

func msBody(body []byte) (time.Duration, error) {
	var req struct {
		Ms int64 `json:"ms"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, fmt.Errorf("bad request body: %v", err)
	}
	if req.Ms < 0 {
		return 0, fmt.Errorf("ms must be >= 0")
	}
	return time.Duration(req.Ms) * time.Millisecond, nil
}

// VmkitWatchLease finds the lease in the caller's session and watches it for progress.
func (p *vmkitProbe) VmkitWatchLease(ctx *simulator.Context, req *VmkitWatchLease) soap.HasFault {
	body := &vmkitWatchLeaseBody{}
	if ctx.Session == nil {
		body.Fault_ = simulator.Fault("", &types.NotAuthenticated{})
		return body
	}
	// Import leases live in the caller's session, ExportVm's (export.go) in the registry.
	lease := ctx.Session.Get(req.Lease)
	if lease == nil || req.Lease.Type != "HttpNfcLease" {
		body.Fault_ = simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Lease})
		return body
	}
	reg := ctx.Session.Registry
	if reg.Get(req.Lease) == nil {
		reg = simulator.Map
	}
	timing.Lock()
	timeout := timing.leaseTimeout
	w := &watchedLease{lastProgress: time.Now()}
	timing.leases[req.Lease.Value] = w
	timing.Unlock()
	go watchLease(reg, lease, w, timeout)
	body.Res = &VmkitWatchLeaseResponse{}
	return body
}

func watchLease(reg *simulator.Registry, lease mo.Reference, w *watchedLease, timeout time.Duration) {
	tick := timeout / 4
	if tick > 100*time.Millisecond {
		tick = 100 * time.Millisecond
	}
	for {
		time.Sleep(tick)
		timing.Lock()
		if w.done {
			timing.Unlock()
			return
		}
		if time.Since(w.lastProgress) < timeout {
			timing.Unlock()
			continue
		}
		w.expired = true
		timing.Unlock()
		simulator.Map.WithLock(lease, func() {
			reg.Update(lease, []types.PropertyChange{
				{Name: "state", Val: types.HttpNfcLeaseStateError},
				{Name: "error", Val: &types.LocalizedMethodFault{Fault: &types.Timedout{}, LocalizedMessage: "the lease timed out without progress"}},
			})
		})
		return
	}
}

var (
	leaseRef = regexp.MustCompile(`<returnval type="HttpNfcLease">([^<]+)</returnval>`)
	thisRef  = regexp.MustCompile(`<(?:[\w-]+:)?_this[^>]*>([^<]+)</`)
)

func asyncLayer(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timing.Lock()
		delay, timeout := timing.taskDelay, timing.leaseTimeout
		watching := len(timing.leases) > 0
		timing.Unlock()
		if delay == 0 && timeout == 0 && !watching {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/nfc/") {
			p := strings.Split(r.URL.Path, "/")
			if len(p) >= 2 && leaseExpired(p[len(p)-2]) {
				http.Error(w, "403 Forbidden: the lease timed out", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		r, body, method, ok := readSoap(w, r, next, "/sdk")
		if !ok {
			return
		}
		switch method {
		case "HttpNfcLeaseProgress", "HttpNfcLeaseComplete", "HttpNfcLeaseAbort", "HttpNfcLeaseGetManifest":
			if m := thisRef.FindSubmatch(body); m != nil && leaseCall(string(m[1]), method) {
				writeFault(w, &types.Timedout{}, "the lease timed out without progress")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		isTask := strings.HasSuffix(method, "_Task") && delay > 0
		if !isTask && timeout == 0 {
			next.ServeHTTP(w, r)
			return
		}
		// Hold the answer back until the task is rewound, so the caller never sees it finished early.
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			if isTask {
				if task := taskOf(rec.Body.Bytes()); task != nil {
					delayTask(task, delay)
				}
			}
			if timeout > 0 {
				if m := leaseRef.FindSubmatch(rec.Body.Bytes()); m != nil {
					watchLeaseOf(next, r, string(m[1]))
				}
			}
		}
		replay(w, rec)
	})
}

// leaseCall notes a call on a lease and reports whether the lease has expired.
func leaseCall(id, method string) bool {
	timing.Lock()
	defer timing.Unlock()
	l, ok := timing.leases[id]
	if !ok {
		return false
	}
	if l.expired {
		return method != "HttpNfcLeaseAbort"
	}
	switch method {
	case "HttpNfcLeaseProgress":
		l.lastProgress = time.Now()
	case "HttpNfcLeaseComplete", "HttpNfcLeaseAbort":
		l.done = true
		delete(timing.leases, id)
	}
	return false
}

func leaseExpired(id string) bool {
	timing.Lock()
	defer timing.Unlock()
	l, ok := timing.leases[id]
	return ok && l.expired
}

// watchLeaseOf calls the probe with the caller's cookie, so that it finds the lease in the caller's session.
func watchLeaseOf(next http.Handler, orig *http.Request, lease string) {
	env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<VmkitWatchLease xmlns="urn:vim25"><_this type="` + probeRef.Type + `">` + probeRef.Value + `</_this><lease type="HttpNfcLease">` + lease +
		`</lease></VmkitWatchLease></soapenv:Body></soapenv:Envelope>`
	req := httptest.NewRequest(http.MethodPost, "/sdk", strings.NewReader(env))
	for _, ck := range orig.Cookies() {
		req.AddCookie(ck)
	}
	next.ServeHTTP(httptest.NewRecorder(), req)
}

// delayTask rewinds a finished task to queued and replays it: running with progress, then its outcome.
func delayTask(task *simulator.Task, delay time.Duration) {
	var final types.TaskInfo
	simulator.Map.WithLock(task, func() {
		final = task.Info
		if final.State != types.TaskInfoStateSuccess && final.State != types.TaskInfoStateError {
			return
		}
		simulator.Map.Update(task, []types.PropertyChange{
			{Name: "info.state", Val: types.TaskInfoStateQueued},
			{Name: "info.startTime", Val: nil},
			{Name: "info.completeTime", Val: nil},
			{Name: "info.result", Val: nil},
			{Name: "info.error", Val: nil},
			{Name: "info.progress", Val: nil},
		})
	})
	if final.State != types.TaskInfoStateSuccess && final.State != types.TaskInfoStateError {
		return
	}
	go func() {
		step := delay / 5
		time.Sleep(step)
		start := time.Now()
		simulator.Map.WithLock(task, func() {
			simulator.Map.Update(task, []types.PropertyChange{
				{Name: "info.state", Val: types.TaskInfoStateRunning},
				{Name: "info.startTime", Val: start},
				{Name: "info.progress", Val: int32(0)},
			})
		})
		for p := int32(25); p < 100; p += 25 {
			time.Sleep(step)
			simulator.Map.WithLock(task, func() {
				simulator.Map.Update(task, []types.PropertyChange{{Name: "info.progress", Val: p}})
			})
		}
		time.Sleep(step)
		changes := []types.PropertyChange{
			{Name: "info.completeTime", Val: time.Now()},
			{Name: "info.progress", Val: nil},
			{Name: "info.result", Val: final.Result},
			{Name: "info.state", Val: final.State},
		}
		if final.Error != nil {
			changes = append(changes, types.PropertyChange{Name: "info.error", Val: *final.Error})
		}
		simulator.Map.WithLock(task, func() { simulator.Map.Update(task, changes) })
	}()
}
