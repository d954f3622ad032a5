package main

import (
	"io/ioutil"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25"
)

// pbmSOAP posts to /pbm with the vCenter session only in the vcSessionCookie header (no HTTP cookie),
// the way pyVmomi and oslo.vmware call PBM.
func pbmSOAP(t *testing.T, r *ready, session string, inner string) (int, string) {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Header><vcSessionCookie>` + session + `</vcSessionCookie></soapenv:Header><soapenv:Body>` + inner + `</soapenv:Body></soapenv:Envelope>`
	res, err := http.Post(r.PbmURL, "text/xml", strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := ioutil.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func sessionKey(t *testing.T, r *ready, c *vim25.Client) string {
	t.Helper()
	req, _ := http.NewRequest("GET", r.URL, nil)
	for _, ck := range c.Client.Jar.Cookies(req.URL) {
		if ck.Name == "vmware_soap_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

const vsanProfile = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"

func TestPbmSessionHeaderMatchingHubsAndAssociations(t *testing.T) {
	r, c := testServer(t, "-control", "-ds", "2", "-vm", "1", "-cluster", "0")
	key := sessionKey(t, r, c)

	queryProfile := `<PbmQueryProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this><resourceType><resourceType>STORAGE</resourceType></resourceType></PbmQueryProfile>`
	if status, body := pbmSOAP(t, r, key, queryProfile); status != 200 || !strings.Contains(body, vsanProfile) {
		t.Fatalf("PbmQueryProfile with vcSessionCookie: %d %s", status, body)
	}
	if status, body := pbmSOAP(t, r, "not-a-session", queryProfile); status != 500 || !strings.Contains(body, "NotAuthenticated") {
		t.Fatalf("PbmQueryProfile with a bad session: %d %s", status, body)
	}

	matching := `<PbmQueryMatchingHub xmlns="urn:pbm"><_this type="PbmPlacementSolver">placementSolver</_this><profile><uniqueId>` + vsanProfile + `</uniqueId></profile></PbmQueryMatchingHub>`
	if status, body := pbmSOAP(t, r, key, matching); status != 200 || strings.Contains(body, "hubId") {
		t.Fatalf("nothing tagged yet: %d %s", status, body)
	}
	control(t, r, "tag", `{"datastore":"LocalDS_1","profile":"vSAN Default Storage Policy"}`)
	status, body := pbmSOAP(t, r, key, matching)
	if status != 200 || strings.Count(body, "<hubId>") != 1 || !strings.Contains(body, "<hubType>Datastore</hubType>") {
		t.Fatalf("PbmQueryMatchingHub after tagging: %d %s", status, body)
	}
	if status, body := pbmSOAP(t, r, "", matching); status != 500 || !strings.Contains(body, "NotAuthenticated") {
		t.Fatalf("unauthenticated PbmQueryMatchingHub: %d %s", status, body)
	}

	vm := firstVM(t, c)
	status, body = rawSOAP(t, r, c, reconfig(vm.Self, `<vmProfile xsi:type="VirtualMachineDefinedProfileSpec"><profileId>`+vsanProfile+`</profileId></vmProfile>`))
	if status != 200 {
		t.Fatalf("reconfigure with a profile: %d %s", status, body)
	}
	status, body = pbmSOAP(t, r, key, `<PbmQueryAssociatedEntity xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this><profile><uniqueId>`+vsanProfile+`</uniqueId></profile><entityType>virtualMachine</entityType></PbmQueryAssociatedEntity>`)
	if status != 200 || !strings.Contains(body, "<key>"+vm.Self.Value+"</key>") {
		t.Fatalf("PbmQueryAssociatedEntity: %d %s", status, body)
	}
	status, body = pbmSOAP(t, r, key, `<PbmQueryAssociatedProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this><entity><objectType>virtualMachine</objectType><key>`+vm.Self.Value+`</key></entity></PbmQueryAssociatedProfile>`)
	if status != 200 || !strings.Contains(body, vsanProfile) {
		t.Fatalf("PbmQueryAssociatedProfile: %d %s", status, body)
	}

	// Under task-delay the association changes when the task succeeds.
	control(t, r, "task-delay", `{"ms":200}`)
	if status, body := rawSOAP(t, r, c, reconfig(vm.Self, `<vmProfile xsi:type="VirtualMachineEmptyProfileSpec"></vmProfile>`)); status != 200 {
		t.Fatalf("reconfigure with the empty profile: %d %s", status, body)
	}
	assoc := `<PbmQueryAssociatedProfile xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this><entity><objectType>virtualMachine</objectType><key>` + vm.Self.Value + `</key></entity></PbmQueryAssociatedProfile>`
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = pbmSOAP(t, r, key, assoc)
		if !strings.Contains(body, vsanProfile) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the association outlived the delayed task")
		}
		time.Sleep(20 * time.Millisecond)
	}

	control(t, r, "reset", `{}`)
	if status, body := pbmSOAP(t, r, key, matching); status != 200 || strings.Contains(body, "hubId") {
		t.Fatalf("tags survived reset: %d %s", status, body)
	}
}
