package main

import (
	"context"
	"encoding/json"
	"io/ioutil"
	"net/http"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func TestControlEndpointIsOffByDefault(t *testing.T) {
	r, _ := testServer(t, "-vm", "0")
	res, err := http.Post(strings.TrimSuffix(r.URL, "/sdk")+"/vmkit-control/reset", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("the control endpoint answered %d without -control", res.StatusCode)
	}
}

func TestQueuedFaultsDropsCallsAndSessions(t *testing.T) {
	r, c := testServer(t, "-control", "-vm", "0")
	ctx := context.Background()
	now := func() error {
		_, err := methods.GetCurrentTime(ctx, c)
		return err
	}

	control(t, r, "fault", `{"method":"CurrentTime","count":2,"fault":"FileLocked","message":"held"}`)
	for i := 0; i < 2; i++ {
		err := now()
		if !soap.IsSoapFault(err) {
			t.Fatalf("call %d: %v", i, err)
		}
		f := soap.ToSoapFault(err)
		if _, ok := f.VimFault().(types.FileLocked); !ok || f.String != "held" {
			t.Fatalf("call %d: %#v", i, f)
		}
	}
	if err := now(); err != nil {
		t.Fatalf("the third call: %v", err)
	}

	control(t, r, "fault", `{"method":"CurrentTime","drop":true}`)
	if err := now(); err == nil || soap.IsSoapFault(err) {
		t.Fatalf("a dropped call: %v", err)
	}
	if err := now(); err != nil {
		t.Fatalf("after the drop: %v", err)
	}

	res, err := http.Get(strings.TrimSuffix(r.URL, "/sdk") + "/vmkit-control/calls")
	if err != nil {
		t.Fatal(err)
	}
	var calls struct {
		Calls map[string]int `json:"calls"`
	}
	b, _ := ioutil.ReadAll(res.Body)
	res.Body.Close()
	if err := json.Unmarshal(b, &calls); err != nil || calls.Calls["CurrentTime"] != 5 {
		t.Fatalf("calls: %s %v", b, err)
	}

	for _, bad := range []string{`{"method":"CurrentTime","fault":"NoSuchFault"}`, `{"fault":"FileLocked"}`, `{"method":"x","drop":true,"fault":"FileLocked"}`, `{"method":"x","bogus":1}`} {
		res, err := http.Post(strings.TrimSuffix(r.URL, "/sdk")+"/vmkit-control/fault", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}

	control(t, r, "terminate-sessions", `{}`)
	err = now()
	if !soap.IsSoapFault(err) {
		t.Fatalf("after terminate-sessions: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.NotAuthenticated); !ok {
		t.Fatalf("after terminate-sessions: %v", err)
	}
}
