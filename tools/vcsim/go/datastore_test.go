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
	control(t, r, "reset", `{}`)
	ds = datastores(t, c)["LocalDS_0"]
	if ds.Summary.FreeSpace == 1024 || ds.Summary.MaintenanceMode != "normal" || !ds.Summary.Accessible {
		t.Errorf("reset did not restore: %+v", ds.Summary)
	}
}
