// Gap filled: several of govmomi 0.24's VirtualMachine, Folder and ResourcePool methods keep no disk
// contents (CreateVM_Task, ReconfigVM_Task, CloneVM_Task, RelocateVM_Task, the snapshot methods,
// ImportVApp), and ExportVm does not exist. The simulator's handlers for these are methods on its own
// types, which the rest of the simulator type-asserts, so they cannot be replaced in the registry.
//
// This file is the small HTTP layer in front of /sdk for those methods: it decodes the request with
// the simulator's own decoder, lets the simulator's handler do the inventory work (session checks,
// faults, property changes, events), and then does the file work of disk_vm.go, disk_snapshot.go,
// nfc.go and export.go before the response leaves. A method of the table may also answer by itself
// (ExportVm, which the simulator lacks, or a refusal that vCenter makes and the simulator does not).
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// soapCall is one intercepted SOAP request.
type soapCall struct {
	w      http.ResponseWriter
	r      *http.Request
	body   []byte
	method *simulator.Method
	next   http.Handler
}

// forward lets the simulator answer the request and returns its answer, not yet sent.
func (c *soapCall) forward() *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r := c.r.Clone(c.r.Context())
	r.Body = io.NopCloser(bytes.NewReader(c.body))
	r.ContentLength = int64(len(c.body))
	c.next.ServeHTTP(rec, r)
	return rec
}

// send copies a recorded answer to the client.
func (c *soapCall) send(rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		c.w.Header()[k] = v
	}
	c.w.WriteHeader(rec.Code)
	_, _ = c.w.Write(rec.Body.Bytes())
}

// forwardForTask lets the simulator answer the call. When the answer names a task that succeeded, it
// returns the answer (for the caller to send when its file work is done) and the task; otherwise it
// sends the answer as it is and returns ok == false.
func (c *soapCall) forwardForTask() (rec *httptest.ResponseRecorder, task *simulator.Task, ok bool) {
	rec = c.forward()
	if task, ok = diskTaskSucceeded(answerReturnval(rec)); !ok {
		c.send(rec)
	}
	return rec, task, ok
}

// vmCall returns the call's body as a *T and the VM that this(body) names. When the body is not a *T
// or names no VM, it lets the simulator answer the call as it is and returns ok == false.
func vmCall[T any](c *soapCall, this func(*T) types.ManagedObjectReference) (req *T, vm *simulator.VirtualMachine, ok bool) {
	if req, ok = c.method.Body.(*T); ok {
		if vm = vmOf(this(req)); vm != nil {
			return req, vm, true
		}
	}
	c.send(c.forward())
	return nil, nil, false
}

var (
	diskReturnvalRe = regexp.MustCompile(`<returnval type="([A-Za-z]+)">([^<]+)</returnval>`)
	answerFaultRe   = regexp.MustCompile(`<detail>\s*<([A-Za-z]+)Fault[ >]`)
)

// returnval is the managed object reference a successful answer returns, if any.
func answerReturnval(rec *httptest.ResponseRecorder) *types.ManagedObjectReference {
	if rec.Code != http.StatusOK {
		return nil
	}
	m := diskReturnvalRe.FindSubmatch(rec.Body.Bytes())
	if m == nil {
		return nil
	}
	return &types.ManagedObjectReference{Type: string(m[1]), Value: diskXMLUnescape(string(m[2]))}
}

func diskXMLUnescape(s string) string {
	var out string
	if err := xml.Unmarshal([]byte("<x>"+s+"</x>"), &out); err != nil {
		return s
	}
	return out
}

// answerFaultType names the fault of a fault answer ("" when it is not one).
func answerFaultType(rec *httptest.ResponseRecorder) string {
	if rec.Code == http.StatusOK {
		return ""
	}
	m := answerFaultRe.FindSubmatch(rec.Body.Bytes())
	if m == nil {
		return "unknown"
	}
	return string(m[1])
}

// writeDiskSoap writes a SOAP envelope around body.
func writeDiskSoap(w http.ResponseWriter, status int, body func(e *xml.Encoder) error) {
	var out bytes.Buffer
	out.WriteString(xml.Header)
	out.WriteString(`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ` +
		`xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
	e := xml.NewEncoder(&out)
	if err := body(e); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	_ = e.Flush()
	out.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

// writeDiskReturnval answers `<{method}Response><returnval type=..>..</returnval></..>`.
func writeDiskReturnval(w http.ResponseWriter, method string, ref types.ManagedObjectReference) {
	writeDiskSoap(w, http.StatusOK, func(e *xml.Encoder) error {
		res := struct {
			Returnval types.ManagedObjectReference `xml:"returnval"`
		}{ref}
		return e.EncodeElement(res, xml.StartElement{
			Name: xml.Name{Local: method + "Response"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"}},
		})
	})
}

// writeDiskFault answers with a SOAP fault carrying a VIM fault, as the simulator encodes them.
func writeDiskFault(w http.ResponseWriter, msg string, fault types.BaseMethodFault) {
	kind := reflect.TypeOf(fault).Elem().Name()
	if msg == "" {
		msg = kind
	}
	writeDiskSoap(w, http.StatusInternalServerError, func(e *xml.Encoder) error {
		f := struct {
			XMLName xml.Name `xml:"soapenv:Fault"`
			Code    string   `xml:"faultcode"`
			String  string   `xml:"faultstring"`
		}{Code: "ServerFaultCode", String: msg}
		start := xml.StartElement{Name: xml.Name{Local: "soapenv:Fault"}}
		if err := e.EncodeToken(start); err != nil {
			return err
		}
		if err := e.EncodeElement(f.Code, xml.StartElement{Name: xml.Name{Local: "faultcode"}}); err != nil {
			return err
		}
		if err := e.EncodeElement(f.String, xml.StartElement{Name: xml.Name{Local: "faultstring"}}); err != nil {
			return err
		}
		detail := xml.StartElement{Name: xml.Name{Local: "detail"}}
		if err := e.EncodeToken(detail); err != nil {
			return err
		}
		if err := e.EncodeElement(fault, xml.StartElement{
			Name: xml.Name{Local: kind + "Fault"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"}, {Name: xml.Name{Local: "xsi:type"}, Value: kind}},
		}); err != nil {
			return err
		}
		if err := e.EncodeToken(detail.End()); err != nil {
			return err
		}
		return e.EncodeToken(start.End())
	})
}

// failDiskTask turns a task that the simulator finished into a failed one (the file work behind it failed).
func failDiskTask(ref *types.ManagedObjectReference, fault types.BaseMethodFault) {
	if ref == nil {
		return
	}
	task, ok := simulator.Map.Get(*ref).(*simulator.Task)
	if !ok {
		return
	}
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.state", Val: types.TaskInfoStateError},
		{Name: "info.result", Val: nil},
		{Name: "info.error", Val: &types.LocalizedMethodFault{Fault: fault, LocalizedMessage: fmt.Sprintf("%T", fault)}},
	})
}

// diskTaskSucceeded tells whether the task an answer returned finished successfully.
func diskTaskSucceeded(ref *types.ManagedObjectReference) (*simulator.Task, bool) {
	if ref == nil || ref.Type != "Task" {
		return nil, false
	}
	task, ok := simulator.Map.Get(*ref).(*simulator.Task)
	if !ok {
		return nil, false
	}
	return task, task.Info.State == types.TaskInfoStateSuccess
}

// failedTask creates a task on obj that fails with fault, for refusals that vCenter reports through
// the task (as a client expects), and answers the method with it.
func (c *soapCall) answerFailedTask(obj mo.Reference, name string, fault types.BaseMethodFault) {
	task := simulator.CreateTask(obj, name, func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	writeDiskReturnval(c.w, c.method.Name, task.Run())
}

// soapHandlers are the intercepted methods, by name.
var (
	soapHandlersMu sync.RWMutex
	soapHandlers   = map[string]func(c *soapCall){}
)

func handleSoap(method string, h func(c *soapCall)) {
	soapHandlersMu.Lock()
	defer soapHandlersMu.Unlock()
	soapHandlers[method] = h
}

func init() {
	// Innermost (first): the file work happens right after the simulator's handler, before the other
	// layers see the answer (async.go rewinds finished tasks, and must rewind what this layer did).
	httpLayers = append([]func(*simulator.Model, http.Handler) http.Handler{soapLayer}, httpLayers...)
}

func soapLayer(m *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !(r.URL.Path == "/sdk" || r.URL.Path == "/sdk/vimService") {
			next.ServeHTTP(w, r)
			return
		}
		// The body and method are read once per request for every layer (control.go's soapOf).
		r, body, name, ok := soapOr400(w, r)
		if !ok {
			return
		}
		soapHandlersMu.RLock()
		h := soapHandlers[name]
		soapHandlersMu.RUnlock()
		if h != nil {
			method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
			if err == nil && method.Name == name {
				h(&soapCall{w: w, r: r, body: body, method: method, next: next})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
