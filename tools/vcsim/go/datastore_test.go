package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func datastores(t *testing.T, c *vim25.Client) map[string]mo.Datastore {
	t.Helper()
	ctx := context.Background()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"Datastore"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var dss []mo.Datastore
	if err := v.Retrieve(ctx, []string{"Datastore"}, []string{"name", "summary", "info", "host"}, &dss); err != nil {
		t.Fatal(err)
	}
	out := map[string]mo.Datastore{}
	for _, ds := range dss {
		out[ds.Name] = ds
	}
	return out
}

func control(t *testing.T, r *ready, path, body string) {
	t.Helper()
	res, err := http.Post(strings.TrimSuffix(r.URL, "/sdk")+"/vmkit-control/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("control %s %s: %d", path, body, res.StatusCode)
	}
}

func TestDatastoreTypesMountsAndControl(t *testing.T) {
	r, c := testServer(t, "-ds", "3", "-ds-types", "vmfs,nfs,vsan", "-control", "-vm", "0")
	dss := datastores(t, c)
	want := map[string]string{"LocalDS_0": "VMFS", "LocalDS_1": "NFS", "LocalDS_2": "vsan"}
	for name, kind := range want {
		ds, ok := dss[name]
		if !ok || ds.Summary.Type != kind {
			t.Fatalf("%s: type %q, want %q", name, ds.Summary.Type, kind)
		}
		// 3 cluster hosts and 1 standalone host, every one mounting every local datastore.
		if len(ds.Host) != 4 {
			t.Errorf("%s is mounted by %d hosts, want 4", name, len(ds.Host))
		}
	}
	if _, ok := dss["LocalDS_1"].Info.(*types.NasDatastoreInfo); !ok {
		t.Errorf("LocalDS_1 info is %T", dss["LocalDS_1"].Info)
	}

	control(t, r, "datastore", `{"name":"LocalDS_0","freeSpace":1024,"maintenanceMode":"inMaintenance","accessible":false}`)
	ds := datastores(t, c)["LocalDS_0"]
	if ds.Summary.FreeSpace != 1024 || ds.Summary.MaintenanceMode != "inMaintenance" || ds.Summary.Accessible || *ds.Host[0].MountInfo.Accessible {
		t.Errorf("control did not apply: %+v", ds.Summary)
	}
	// A RefreshDatastore (a statfs of the host folder) keeps the size set by the test.
	if _, err := methods.RefreshDatastore(context.Background(), c, &types.RefreshDatastore{This: ds.Self}); err != nil {
		t.Fatal(err)
	}
	if ds := datastores(t, c)["LocalDS_0"]; ds.Summary.FreeSpace != 1024 {
		t.Errorf("RefreshDatastore undid the free space: %d", ds.Summary.FreeSpace)
	}
	// File work on the inaccessible datastore is refused; on the others it goes on.
	fm := *c.ServiceContent.FileManager
	var dc types.ManagedObjectReference
	for _, e := range firstDatacenters(t, c) {
		dc = e
	}
	_, err := methods.MakeDirectory(context.Background(), c, &types.MakeDirectory{This: fm, Name: "[LocalDS_0] d", Datacenter: &dc})
	if !soap.IsSoapFault(err) {
		t.Fatalf("MakeDirectory on an inaccessible datastore: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.InaccessibleDatastore); !ok {
		t.Fatalf("MakeDirectory on an inaccessible datastore: %v", err)
	}
	if _, err := methods.MakeDirectory(context.Background(), c, &types.MakeDirectory{This: fm, Name: "[LocalDS_1] d", Datacenter: &dc}); err != nil {
		t.Fatalf("MakeDirectory on an accessible datastore: %v", err)
	}
	session := &http.Cookie{Name: "vmware_soap_session", Value: sessionKey(t, r, c)}
	if status, _ := folderCall(t, "GET", strings.TrimSuffix(r.URL, "/sdk")+"/folder/x?dcPath=DC0&dsName=LocalDS_0", "", session); status != 404 {
		t.Fatalf("/folder on an inaccessible datastore: %d", status)
	}

	control(t, r, "reset", `{}`)
	if _, err := methods.MakeDirectory(context.Background(), c, &types.MakeDirectory{This: fm, Name: "[LocalDS_0] d", Datacenter: &dc}); err != nil {
		t.Fatalf("MakeDirectory after reset: %v", err)
	}
	ds = datastores(t, c)["LocalDS_0"]
	if ds.Summary.FreeSpace == 1024 || ds.Summary.MaintenanceMode != "normal" || !ds.Summary.Accessible {
		t.Errorf("reset did not restore: %+v", ds.Summary)
	}
}
