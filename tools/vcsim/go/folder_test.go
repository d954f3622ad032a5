package main

import (
	"context"
	"io/ioutil"
	"net/http"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

func folderCall(t *testing.T, method, u, body string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := ioutil.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func acquireTicket(t *testing.T, c *vim25.Client, method, u string) *http.Cookie {
	t.Helper()
	res, err := methods.AcquireGenericServiceTicket(context.Background(), c, &types.AcquireGenericServiceTicket{
		This: *c.ServiceContent.SessionManager, Spec: &types.SessionManagerHttpServiceRequestSpec{Method: method, Url: u},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: "vmware_cgi_ticket", Value: res.Returnval.Id}
}

func TestFolderNeedsASessionOrTicketAndDeleteDeletes(t *testing.T) {
	r, c := testServer(t, "-vm", "0")
	u := strings.TrimSuffix(r.URL, "/sdk") + "/folder/dir/f.txt?dcPath=DC0&dsName=LocalDS_0"
	session := &http.Cookie{Name: "vmware_soap_session", Value: sessionKey(t, r, c)}

	if status, _ := folderCall(t, "PUT", u, "hello", nil); status != 401 {
		t.Fatalf("PUT without authentication: %d", status)
	}
	if status, _ := folderCall(t, "GET", u, "", &http.Cookie{Name: "vmware_soap_session", Value: "bogus"}); status != 401 {
		t.Fatalf("GET with a bogus session: %d", status)
	}
	if status, _ := folderCall(t, "PUT", u, "hello", session); status != 200 {
		t.Fatalf("PUT with the session: %d", status)
	}
	if status, body := folderCall(t, "GET", u, "", session); status != 200 || body != "hello" {
		t.Fatalf("GET with the session: %d %q", status, body)
	}

	// A ticket is good once, for its method and path.
	get := acquireTicket(t, c, "httpGet", u)
	if status, _ := folderCall(t, "DELETE", u, "", get); status != 401 {
		t.Fatalf("DELETE with a GET ticket: %d", status)
	}
	if status, body := folderCall(t, "GET", u, "", get); status != 200 || body != "hello" {
		t.Fatalf("GET with its ticket: %d %q", status, body)
	}
	if status, _ := folderCall(t, "GET", u, "", get); status != 401 {
		t.Fatalf("a ticket used twice: %d", status)
	}
	quoted := acquireTicket(t, c, "httpGet", u)
	quoted.Value = `"` + quoted.Value + `"`
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", "vmware_cgi_ticket="+quoted.Value)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET with a quoted ticket: %v %v", err, res)
	}

	del := acquireTicket(t, c, "httpDelete", u)
	if status, _ := folderCall(t, "DELETE", u, "", del); status != 204 {
		t.Fatalf("DELETE: %d", status)
	}
	if status, _ := folderCall(t, "GET", u, "", session); status != 404 {
		t.Fatalf("GET after DELETE: %d", status)
	}
	if status, _ := folderCall(t, "DELETE", u, "", session); status != 404 {
		t.Fatalf("DELETE of a missing file: %d", status)
	}
	if status, _ := folderCall(t, "GET", strings.Replace(u, "/dir/f.txt", "/../../etc/passwd", 1), "", session); status != 400 && status != 404 {
		t.Fatalf("a path out of the datastore: %d", status)
	}
}
