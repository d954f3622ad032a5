package main

// control.go: vmkit's control endpoint for failure-injection tests (issue 4). govmomi 0.24's simulator
// has no way for a test to make a call fail, slow it down, count it or end sessions from outside; this
// file adds that as an HTTP layer in front of the simulator's handlers, served at /vmkit-control/...
// (JSON in and out, on the simulator's own loopback address) and only when -control is given.
//
// Other fidelity files add their own control requests (datastore state, profile tags, task delay,
// lease timeout) through addControlRoute and undo them on reset through addControlReset.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const controlPrefix = "/vmkit-control/"

var controlEnabled bool

// A queued fault: the next `left` calls of a method fail this way.
type queuedFault struct {
	fault   string // wire name, e.g. FileLocked or pbm:PbmFault (resolved at queue time)
	message string
	drop    bool
	left    int
}

// controlState is everything the endpoint changed; reset() returns to the start.
type controlState struct {
	mu      sync.Mutex
	faults  map[string][]*queuedFault
	latency map[string]time.Duration
	calls   map[string]int
}

var ctl = &controlState{faults: map[string][]*queuedFault{}, latency: map[string]time.Duration{}, calls: map[string]int{}}

// A control route decodes its JSON body and answers a JSON value (or an error, answered as 400).
type controlRoute func(m *simulator.Model, body []byte) (interface{}, error)

var (
	controlRoutes = map[string]controlRoute{}
	controlResets []func(m *simulator.Model)
)

func addControlRoute(name string, r controlRoute) { controlRoutes[name] = r }
func addControlReset(f func(m *simulator.Model))  { controlResets = append(controlResets, f) }

func init() {
	flagHooks = append(flagHooks, func(fs *flag.FlagSet) {
		fs.BoolVar(&controlEnabled, "control", false, "serve the test control endpoint at /vmkit-control/ (faults, latency, sessions, datastores)")
	})
	httpLayers = append(httpLayers, controlLayer)

	addControlRoute("fault", controlQueueFault)
	addControlRoute("latency", controlSetLatency)
	addControlRoute("calls", func(*simulator.Model, []byte) (interface{}, error) {
		ctl.mu.Lock()
		defer ctl.mu.Unlock()
		out := make(map[string]int, len(ctl.calls))
		for k, v := range ctl.calls {
			out[k] = v
		}
		return map[string]interface{}{"calls": out}, nil
	})
	addControlRoute("terminate-sessions", func(*simulator.Model, []byte) (interface{}, error) {
		return map[string]int{"terminated": terminateAllSessions()}, nil
	})
	addControlRoute("reset", func(m *simulator.Model, _ []byte) (interface{}, error) {
		ctl.mu.Lock()
		ctl.faults = map[string][]*queuedFault{}
		ctl.latency = map[string]time.Duration{}
		ctl.calls = map[string]int{}
		ctl.mu.Unlock()
		for _, f := range controlResets {
			f(m)
		}
		return struct{}{}, nil
	})
}

// faultType resolves a fault's wire name to its Go type: a VIM fault, or a PBM one (PbmFault, ...).
func faultType(name string) (reflect.Type, string, bool) {
	lookup := types.TypeFunc()
	base := reflect.TypeOf((*types.BaseMethodFault)(nil)).Elem()
	for _, candidate := range []string{name, "pbm:" + name} {
		if t, ok := lookup(candidate); ok && reflect.PtrTo(t).Implements(base) {
			ns := "urn:vim25"
			if strings.HasPrefix(candidate, "pbm:") {
				ns = "urn:pbm"
			}
			return t, ns, true
		}
	}
	return nil, "", false
}

func controlQueueFault(_ *simulator.Model, body []byte) (interface{}, error) {
	var req struct {
		Method  string `json:"method"`
		Count   int    `json:"count"`
		Fault   string `json:"fault"`
		Message string `json:"message"`
		Drop    bool   `json:"drop"`
	}
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	if req.Method == "" {
		return nil, fmt.Errorf("method is required")
	}
	if req.Count == 0 {
		req.Count = 1
	}
	if req.Count < 0 {
		return nil, fmt.Errorf("count must be >= 1")
	}
	if req.Drop && req.Fault != "" {
		return nil, fmt.Errorf("an entry either drops the connection or answers a fault, not both")
	}
	if !req.Drop {
		if req.Fault == "" {
			req.Fault = "SystemError"
		}
		if _, _, ok := faultType(req.Fault); !ok {
			return nil, fmt.Errorf("unknown fault %q: give a VIM or PBM fault's wire name, e.g. FileLocked", req.Fault)
		}
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	ctl.faults[req.Method] = append(ctl.faults[req.Method], &queuedFault{fault: req.Fault, message: req.Message, drop: req.Drop, left: req.Count})
	return struct{}{}, nil
}

func controlSetLatency(_ *simulator.Model, body []byte) (interface{}, error) {
	var req struct {
		Method string `json:"method"`
		Ms     int64  `json:"ms"`
	}
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	if req.Method == "" || req.Ms < 0 {
		return nil, fmt.Errorf("method is required and ms must be >= 0")
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if req.Ms == 0 {
		delete(ctl.latency, req.Method)
	} else {
		ctl.latency[req.Method] = time.Duration(req.Ms) * time.Millisecond
	}
	return struct{}{}, nil
}

// terminateAllSessions ends every session through the SessionManager's own TerminateSession, the way
// an administrator (or vCenter's idle expiry) would. It reads the session list from a session view
// of the SessionManager, as the property collector does.
func terminateAllSessions() int {
	ref := simulator.Map.SessionManager().Reference()
	outsider := &simulator.Session{UserSession: types.UserSession{Key: "vmkit-control"}, Registry: simulator.NewRegistry()}
	view, ok := outsider.Get(ref).(*simulator.SessionManager)
	if !ok {
		return 0
	}
	var ids []string
	for _, s := range view.SessionList {
		ids = append(ids, s.Key)
	}
	if len(ids) == 0 {
		return 0
	}
	sm := simulator.Map.SessionManager()
	ctx := &simulator.Context{Session: outsider, Map: simulator.Map}
	simulator.Map.WithLock(sm, func() { sm.TerminateSession(ctx, &types.TerminateSession{This: ref, SessionId: ids}) })
	return len(ids)
}

func strictJSON(body []byte, v interface{}) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type soapKey struct{}

type soapInfo struct {
	body   []byte
	method string
}

// soapOf reads a SOAP request's body once per request (the layers inside get it from the request's
// context) and returns the request to pass on, the body and the method called.
func soapOf(r *http.Request) (*http.Request, []byte, string, error) {
	if info, ok := r.Context().Value(soapKey{}).(*soapInfo); ok {
		r.Body = ioutil.NopCloser(bytes.NewReader(info.body))
		return r, info.body, info.method, nil
	}
	body, err := ioutil.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return r, nil, "", err
	}
	r = withSoapBody(r, body)
	return r, body, r.Context().Value(soapKey{}).(*soapInfo).method, nil
}

// soapOr400 is soapOf for a layer: an unreadable body is answered 400 Bad Request, and ok is false
// for the caller to return.
func soapOr400(w http.ResponseWriter, r *http.Request) (_ *http.Request, body []byte, method string, ok bool) {
	r, body, method, err := soapOf(r)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return r, nil, "", false
	}
	return r, body, method, true
}

// readSoap is soapOr400 for the POSTs to a path under one of prefixes; any other request goes to next
// unchanged, with ok false for the caller to return.
func readSoap(w http.ResponseWriter, r *http.Request, next http.Handler, prefixes ...string) (_ *http.Request, body []byte, method string, ok bool) {
	if r.Method == http.MethodPost {
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				return soapOr400(w, r)
			}
		}
	}
	next.ServeHTTP(w, r)
	return r, nil, "", false
}

// withSoapBody gives a request a new body, for the handler and the layers inside.
func withSoapBody(r *http.Request, body []byte) *http.Request {
	r = r.WithContext(context.WithValue(r.Context(), soapKey{}, &soapInfo{body: body, method: soapMethod(body)}))
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

// soapMethod returns the name of the first element inside the SOAP body: the method called.
func soapMethod(body []byte) string {
	d := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			if inBody {
				return se.Name.Local
			}
			if se.Name.Local == "Body" {
				inBody = true
			}
		}
	}
}

// next takes one queued fault of a method, if any, and the method's latency; and counts the call.
func (c *controlState) next(method string) (*queuedFault, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[method]++
	var q *queuedFault
	if list := c.faults[method]; len(list) > 0 {
		head := *list[0]
		q = &head
		list[0].left--
		if list[0].left <= 0 {
			list = list[1:]
		}
		if len(list) == 0 {
			delete(c.faults, method)
		} else {
			c.faults[method] = list
		}
	}
	d, ok := c.latency[method]
	if !ok {
		d = c.latency["*"]
	}
	return q, d
}

// writeSoapFault answers a queued fault the way vCenter answers one: HTTP 500, a SOAP fault whose
// detail holds the typed fault with its xsi:type.
func writeSoapFault(w http.ResponseWriter, q *queuedFault) {
	t, ns, _ := faultType(q.fault)
	name := t.Name()
	msg := q.message
	if msg == "" {
		msg = name
	}
	var detail bytes.Buffer
	e := xml.NewEncoder(&detail)
	start := xml.StartElement{Name: xml.Name{Local: name + "Fault"}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "xmlns"}, Value: ns},
		{Name: xml.Name{Local: "xsi:type"}, Value: name},
	}}
	if err := e.EncodeElement(reflect.New(t).Interface(), start); err != nil {
		detail.Reset()
	}
	writeFaultEnvelope(w, msg, detail.Bytes())
}

// writeFaultEnvelope answers HTTP 500 with a SOAP fault: faultstring msg, and detail the encoded
// typed fault (empty when it could not be encoded).
func writeFaultEnvelope(w http.ResponseWriter, msg string, detail []byte) {
	var out bytes.Buffer
	out.WriteString(xml.Header)
	out.WriteString(`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	out.WriteString(`<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>`)
	_ = xml.EscapeText(&out, []byte(msg))
	out.WriteString(`</faultstring><detail>`)
	out.Write(detail)
	out.WriteString(`</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(out.Bytes())
}

// replay writes a recorded answer to the client.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// dropConnection closes the client's connection without an answer, as a network failure would.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection without logging
}

func serveControl(m *simulator.Model, w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, controlPrefix)
	route, ok := controlRoutes[name]
	if !ok {
		names := make([]string, 0, len(controlRoutes))
		for n := range controlRoutes {
			names = append(names, n)
		}
		sort.Strings(names)
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("unknown control request %q (known: %s)", name, strings.Join(names, ", "))})
		return
	}
	body, err := ioutil.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	res, err := route(m, body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// controlLayer serves /vmkit-control/ and applies queued faults, latency and call counting to SOAP calls.
func controlLayer(m *simulator.Model, next http.Handler) http.Handler {
	if !controlEnabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, controlPrefix) {
			serveControl(m, w, r)
			return
		}
		r, _, method, ok := readSoap(w, r, next, "/sdk", "/pbm")
		if !ok {
			return
		}
		if method == "" {
			next.ServeHTTP(w, r)
			return
		}
		q, delay := ctl.next(method)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case q == nil:
			next.ServeHTTP(w, r)
		case q.drop:
			dropConnection(w)
		default:
			writeSoapFault(w, q)
		}
	})
}
