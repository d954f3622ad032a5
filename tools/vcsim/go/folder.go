package main

// folder.go fills the /folder gaps of govmomi 0.24's simulator (issue 4): datastore file access over
// HTTP needs no authentication at all, and DELETE answers with the file's contents instead of deleting
// it. Here, in an HTTP layer in front of the simulator's /folder handler:
//   - a request needs the vCenter session cookie (vmware_soap_session) or a generic service ticket
//     (vmware_cgi_ticket, from SessionManager.AcquireGenericServiceTicket: valid once, for the URL path
//     and HTTP method it was acquired for), else 401;
//   - DELETE deletes the file (204; 404 when there is none);
//   - a path that climbs out of the datastore (`..`) is refused (400).

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const folderPath = "/folder/"

type ticket struct {
	method string // HTTP method, "" for any
	path   string // URL path, "" for any
}

var tickets = struct {
	sync.Mutex
	m map[string]ticket
}{m: map[string]ticket{}}

func init() {
	httpLayers = append(httpLayers, folderLayer)
}

var ticketID = regexp.MustCompile(`<id>([^<]+)</id>`)

func folderLayer(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, folderPath):
			serveFolder(w, r, next)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
			recordTicket(w, r, next)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// recordTicket passes an /sdk call through and remembers the tickets that AcquireGenericServiceTicket hands out.
func recordTicket(w http.ResponseWriter, r *http.Request, next http.Handler) {
	r, body, method, ok := soapOr400(w, r)
	if !ok {
		return
	}
	if method != "AcquireGenericServiceTicket" {
		next.ServeHTTP(w, r)
		return
	}
	var t ticket
	if m, err := simulator.UnmarshalBody(types.TypeFunc(), body); err == nil {
		if req, ok := m.Body.(*types.AcquireGenericServiceTicket); ok {
			if spec, ok := req.Spec.(*types.SessionManagerHttpServiceRequestSpec); ok {
				if u, err := url.Parse(spec.Url); err == nil {
					t.path = u.Path
				}
				switch spec.Method {
				case "httpGet":
					t.method = http.MethodGet
				case "httpPut":
					t.method = http.MethodPut
				case "httpPost":
					t.method = http.MethodPost
				case "httpDelete":
					t.method = http.MethodDelete
				case "httpHead":
					t.method = http.MethodHead
				}
			}
		}
	}
	// The answer waits until the ticket is recorded: the caller uses it right after.
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	defer replay(w, rec)
	if rec.Code != http.StatusOK {
		return
	}
	if m := ticketID.FindSubmatch(rec.Body.Bytes()); m != nil {
		tickets.Lock()
		tickets.m[string(m[1])] = t
		tickets.Unlock()
	}
}

// authorized: a live session cookie, or a ticket for this method and path (used up by this request).
func authorized(r *http.Request) bool {
	if ck, err := r.Cookie(soap.SessionCookieName); err == nil && sessionExists(ck.Value) {
		return true
	}
	ck, err := r.Cookie("vmware_cgi_ticket")
	if err != nil {
		return false
	}
	id := strings.Trim(ck.Value, `"`)
	tickets.Lock()
	defer tickets.Unlock()
	t, ok := tickets.m[id]
	if !ok {
		return false
	}
	method := r.Method
	if method == http.MethodHead && t.method == http.MethodGet {
		method = http.MethodGet
	}
	if (t.method != "" && t.method != method) || (t.path != "" && t.path != r.URL.Path) {
		return false
	}
	delete(tickets.m, id)
	return true
}

// datastoreDir finds the folder behind a /folder URL's dcPath and dsName, as the simulator does.
func datastoreDir(q url.Values) (string, bool) {
	var dc *simulator.Datacenter
	for _, e := range simulator.Map.All("Datacenter") {
		d := e.(*simulator.Datacenter)
		if q.Get("dcPath") == "" || d.Name == q.Get("dcPath") || strings.HasSuffix(q.Get("dcPath"), "/"+d.Name) {
			dc = d
			break
		}
	}
	if dc == nil {
		return "", false
	}
	for _, ref := range dc.Datastore {
		ds, ok := simulator.Map.Get(ref).(*simulator.Datastore)
		if ok && (q.Get("dsName") == "" || ds.Name == q.Get("dsName")) {
			return ds.Info.GetDatastoreInfo().Url, true
		}
	}
	return "", false
}

func serveFolder(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="VMware HTTP server"`)
		http.Error(w, "401 Unauthorized: a vCenter session cookie or a service ticket is required", http.StatusUnauthorized)
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, folderPath)
	clean := path.Clean("/" + rel)
	if strings.Contains("/"+rel+"/", "/../") {
		http.Error(w, "400 Bad Request: the path leaves the datastore", http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodDelete {
		next.ServeHTTP(w, r)
		return
	}
	root, ok := datastoreDir(r.URL.Query())
	if !ok {
		http.Error(w, "404 Not Found: no such datastore", http.StatusNotFound)
		return
	}
	file := filepath.Join(root, filepath.FromSlash(clean))
	fi, err := os.Stat(file)
	switch {
	case os.IsNotExist(err):
		http.Error(w, "404 Not Found", http.StatusNotFound)
	case err != nil:
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
	case fi.IsDir():
		http.Error(w, "400 Bad Request: a folder is deleted with FileManager.DeleteDatastoreFile_Task", http.StatusBadRequest)
	default:
		if err := os.Remove(file); err != nil {
			http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
