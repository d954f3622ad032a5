package main

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// allVMsSpec selects every VirtualMachine from the root folder with the recursive traversal that
// oslo.vmware builds (folder -> childEntity, datacenter -> vmFolder/hostFolder, compute resource ->
// resourcePool, resource pool -> resourcePool/vm), every spec named and reused by name.
func allVMsSpec(root types.ManagedObjectReference, paths ...string) types.PropertyFilterSpec {
	sel := func(n string) types.BaseSelectionSpec { return &types.SelectionSpec{Name: n} }
	ts := func(name, typ, path string, next ...types.BaseSelectionSpec) types.BaseSelectionSpec {
		return &types.TraversalSpec{SelectionSpec: types.SelectionSpec{Name: name}, Type: typ, Path: path, Skip: types.NewBool(false), SelectSet: next}
	}
	return types.PropertyFilterSpec{
		PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: paths}},
		ObjectSet: []types.ObjectSpec{{Obj: root, Skip: types.NewBool(false), SelectSet: []types.BaseSelectionSpec{
			ts("visitFolders", "Folder", "childEntity", sel("visitFolders"), sel("dcToVmf"), sel("dcToHf"), sel("crToRp"), sel("rpToRp"), sel("rpToVm")),
			ts("dcToVmf", "Datacenter", "vmFolder", sel("visitFolders")),
			ts("dcToHf", "Datacenter", "hostFolder", sel("visitFolders")),
			ts("crToRp", "ComputeResource", "resourcePool", sel("rpToRp"), sel("rpToVm")),
			ts("rpToRp", "ResourcePool", "resourcePool", sel("rpToRp"), sel("rpToVm")),
			// Applied to every type, "parent" would walk back up and around forever.
			ts("anyToParent", "HostSystem", "parent", sel("visitFolders")),
			ts("rpToVm", "ResourcePool", "vm"),
		}}},
	}
}

func TestPagingReturnsEveryObjectOnceAndContinueCancelWork(t *testing.T) {
	_, c := testServer(t, "-vm", "5", "-cluster-host", "2", "-host", "2")
	ctx := context.Background()
	spec := allVMsSpec(c.ServiceContent.RootFolder, "name")
	res, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
		This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec}, Options: types.RetrieveOptions{MaxObjects: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	page := res.Returnval
	pages := 0
	for page != nil {
		pages++
		if len(page.Objects) > 3 {
			t.Fatalf("page of %d objects, maxObjects 3", len(page.Objects))
		}
		for _, o := range page.Objects {
			seen[o.Obj.Value]++
			if len(o.PropSet) != 1 || o.PropSet[0].Name != "name" {
				t.Fatalf("unexpected props %+v", o.PropSet)
			}
		}
		if page.Token == "" {
			break
		}
		next, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, Token: page.Token})
		if err != nil {
			t.Fatal(err)
		}
		page = &next.Returnval
	}
	// 5 VMs in the cluster's pool + 5 on each of 2 standalone hosts.
	if len(seen) != 15 || pages != 5 {
		t.Fatalf("%d distinct VMs in %d pages", len(seen), pages)
	}
	for vm, n := range seen {
		if n != 1 {
			t.Fatalf("%s returned %d times", vm, n)
		}
	}

	res, err = methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
		This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec}, Options: types.RetrieveOptions{MaxObjects: 10},
	})
	if err != nil || res.Returnval.Token == "" {
		t.Fatalf("no token: %v", err)
	}
	if _, err := methods.CancelRetrievePropertiesEx(ctx, c, &types.CancelRetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, Token: res.Returnval.Token}); err != nil {
		t.Fatal(err)
	}
	_, err = methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, Token: res.Returnval.Token})
	if !soap.IsSoapFault(err) {
		t.Fatalf("a cancelled token continued: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.InvalidArgument); !ok {
		t.Fatalf("unexpected fault %v", err)
	}
}

func TestKeyedPropertyPaths(t *testing.T) {
	_, c := testServer(t, "-vm", "1", "-cluster", "0", "-host", "1")
	ctx := context.Background()
	spec := allVMsSpec(c.ServiceContent.RootFolder, `config.extraConfig["vmkit.id"]`, "config.hardware.device[100].key", `config.extraConfig["absent"]`)
	vms, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vms.Returnval.Objects) != 1 {
		t.Fatalf("%d VMs", len(vms.Returnval.Objects))
	}
	vm := vms.Returnval.Objects[0].Obj
	task, err := methods.ReconfigVM_Task(ctx, c, &types.ReconfigVM_Task{This: vm, Spec: types.VirtualMachineConfigSpec{
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: "vmkit.id", Value: "v-1"}},
	}})
	if err != nil || task.Returnval.Value == "" {
		t.Fatal(err)
	}
	vms, err = methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{spec}})
	if err != nil {
		t.Fatal(err)
	}
	o := vms.Returnval.Objects[0]
	got := map[string]interface{}{}
	for _, p := range o.PropSet {
		got[p.Name] = p.Val
	}
	if ov, ok := got[`config.extraConfig["vmkit.id"]`].(types.OptionValue); !ok || ov.Value != "v-1" {
		t.Fatalf("extraConfig by key: %#v", got)
	}
	if k, ok := got["config.hardware.device[100].key"].(int32); !ok || k != 100 {
		t.Fatalf("device by key: %#v", got)
	}
	if _, ok := got[`config.extraConfig["absent"]`]; ok || len(o.MissingSet) != 0 {
		t.Fatalf("absent key reported: %#v %#v", got, o.MissingSet)
	}
	if strings.Contains(o.Obj.Value, "[") {
		t.Fatal("unreachable")
	}
}

func TestPagingOnTheEsxModel(t *testing.T) {
	_, c := testServer(t, "-model", "esx", "-vm", "5")
	ctx := context.Background()
	res, err := methods.RetrievePropertiesEx(ctx, c, &types.RetrievePropertiesEx{
		This: c.ServiceContent.PropertyCollector, SpecSet: []types.PropertyFilterSpec{allVMsSpec(c.ServiceContent.RootFolder, "name")},
		Options: types.RetrieveOptions{MaxObjects: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := len(res.Returnval.Objects)
	for token := res.Returnval.Token; token != ""; {
		next, err := methods.ContinueRetrievePropertiesEx(ctx, c, &types.ContinueRetrievePropertiesEx{This: c.ServiceContent.PropertyCollector, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(next.Returnval.Objects)
		token = next.Returnval.Token
	}
	if n != 5 {
		t.Fatalf("%d VMs, want 5", n)
	}
}
