package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
)

// finderAtDatacenter finds the simulator's default datacenter and returns a finder set to it.
func finderAtDatacenter(t *testing.T, c *vim25.Client) (*find.Finder, *object.Datacenter) {
	t.Helper()
	finder := find.NewFinder(c, true)
	dc, err := finder.DefaultDatacenter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	finder.SetDatacenter(dc)
	return finder, dc
}

// defaultPlaces finds the simulator's default datacenter and datastore, and returns a finder set to
// that datacenter.
func defaultPlaces(t *testing.T, c *vim25.Client) (*find.Finder, *object.Datacenter, *object.Datastore) {
	t.Helper()
	finder, dc := finderAtDatacenter(t, c)
	ds, err := finder.DefaultDatastore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return finder, dc, ds
}

// testServer runs the binary's run() in this process with the given flags and returns its ready line
// and a logged-in client; the server stops at the end of the test.
func testServer(t *testing.T, args ...string) (*ready, *vim25.Client) {
	t.Helper()
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	errs := make(chan error, 1)
	go func() {
		errs <- run(args, stdoutW, stdinR)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v (%v)", err, <-errs)
	}
	var r ready
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatal(err)
	}
	// The control state is global to the process: start every test from a clean one.
	if reset, ok := controlRoutes["reset"]; ok {
		if _, err := reset(nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		stdinW.Close()
		if err := <-errs; err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(r.Username, r.Password)
	c, err := govmomi.NewClient(context.Background(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	return &r, c.Client
}
