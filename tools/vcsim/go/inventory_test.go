package main

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func TestExtensionManager(t *testing.T) {
	_, c := testServer(t, "-vm", "0")
	ctx := context.Background()
	em := *c.ServiceContent.ExtensionManager
	found, err := methods.FindExtension(ctx, c, &types.FindExtension{This: em, ExtensionKey: "org.openstack.storage"})
	if err != nil || found.Returnval != nil {
		t.Fatalf("found before registering: %v %v", found, err)
	}
	ext := types.Extension{Key: "org.openstack.storage", Version: "1.0", Type: "volume", Description: &types.Description{Label: "OpenStack Cinder", Summary: "x"}}
	if _, err := methods.RegisterExtension(ctx, c, &types.RegisterExtension{This: em, Extension: ext}); err != nil {
		t.Fatal(err)
	}
	_, err = methods.RegisterExtension(ctx, c, &types.RegisterExtension{This: em, Extension: ext})
	if !soap.IsSoapFault(err) {
		t.Fatalf("a second registration: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.InvalidArgument); !ok {
		t.Fatalf("a second registration: %v", err)
	}
	found, err = methods.FindExtension(ctx, c, &types.FindExtension{This: em, ExtensionKey: "org.openstack.storage"})
	if err != nil || found.Returnval == nil || found.Returnval.Type != "volume" {
		t.Fatalf("not found after registering: %v %v", found, err)
	}
	if _, err := methods.UnregisterExtension(ctx, c, &types.UnregisterExtension{This: em, ExtensionKey: "org.openstack.storage"}); err != nil {
		t.Fatal(err)
	}
	if _, err := methods.UnregisterExtension(ctx, c, &types.UnregisterExtension{This: em, ExtensionKey: "org.openstack.storage"}); !soap.IsSoapFault(err) {
		t.Fatalf("unregistering twice: %v", err)
	}
}

func TestFindAllByUuid(t *testing.T) {
	_, c := testServer(t, "-vm", "1", "-cluster", "0")
	ctx := context.Background()
	vm := firstVM(t, c)
	si := *c.ServiceContent.SearchIndex
	for _, tc := range []struct {
		uuid     string
		instance bool
	}{{vm.Config.Uuid, false}, {vm.Config.InstanceUuid, true}} {
		res, err := methods.FindAllByUuid(ctx, c, &types.FindAllByUuid{This: si, Uuid: tc.uuid, VmSearch: true, InstanceUuid: types.NewBool(tc.instance)})
		if err != nil || len(res.Returnval) != 1 || res.Returnval[0] != vm.Self {
			t.Fatalf("FindAllByUuid(%s, instance %v): %v %v", tc.uuid, tc.instance, res, err)
		}
	}
	res, err := methods.FindAllByUuid(ctx, c, &types.FindAllByUuid{This: si, Uuid: "00000000-0000-0000-0000-000000000000", VmSearch: true})
	if err != nil || len(res.Returnval) != 0 {
		t.Fatalf("an unknown uuid: %v %v", res, err)
	}
}

// Every object this harness adds to the registry must embed a mo type: the simulator's SearchIndex
// iterates over all of them (a probe without one made FindByUuid fail).
func TestFindByUuidStillWorks(t *testing.T) {
	_, c := testServer(t, "-vm", "1", "-cluster", "0")
	vm := firstVM(t, c)
	res, err := methods.FindByUuid(context.Background(), c, &types.FindByUuid{This: *c.ServiceContent.SearchIndex, Uuid: vm.Config.InstanceUuid, VmSearch: true, InstanceUuid: types.NewBool(true)})
	if err != nil || res.Returnval == nil || *res.Returnval != vm.Self {
		t.Fatalf("FindByUuid: %v %v", res, err)
	}
}
