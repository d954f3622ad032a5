package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type vmFixture struct {
	t      *testing.T
	ctx    context.Context
	c      *vim25.Client
	r      *ready
	folder *object.Folder
	pool   *object.ResourcePool
	ds     []*object.Datastore
}

func newVMFixture(t *testing.T, args ...string) *vmFixture {
	r, c := testServer(t, append([]string{"-vm", "0", "-ds", "2"}, args...)...)
	ctx := context.Background()
	finder, dc := finderAtDatacenter(t, c)
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := finder.ResourcePool(ctx, "DC0_C0/Resources")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := finder.DatastoreList(ctx, "*")
	if err != nil || len(ds) < 2 {
		t.Fatal(err)
	}
	return &vmFixture{t, ctx, c, r, folders.VmFolder, pool, ds}
}

func (f *vmFixture) wait(task *object.Task, err error) (types.AnyType, error) {
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(f.ctx, nil)
	if err != nil {
		return nil, err
	}
	return info.Result, nil
}

func (f *vmFixture) must(task *object.Task, err error) types.AnyType {
	f.t.Helper()
	res, err := f.wait(task, err)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *vmFixture) createVM(name string, capacityKB int64) *object.VirtualMachine {
	f.t.Helper()
	unit := int32(0)
	spec := types.VirtualMachineConfigSpec{
		Name:  name,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + f.ds[0].Name() + "]"},
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: "add", Device: &types.VirtualLsiLogicController{VirtualSCSIController: types.VirtualSCSIController{
				VirtualController: types.VirtualController{VirtualDevice: types.VirtualDevice{Key: -100}, BusNumber: 0}, SharedBus: "noSharing", ScsiCtlrUnitNumber: 7}}},
			&types.VirtualDeviceConfigSpec{Operation: "add", FileOperation: "create", Device: &types.VirtualDisk{
				VirtualDevice: types.VirtualDevice{Key: -101, ControllerKey: -100, UnitNumber: &unit, Backing: &types.VirtualDiskFlatVer2BackingInfo{
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: "[" + f.ds[0].Name() + "]"},
					DiskMode:                     "persistent", ThinProvisioned: types.NewBool(true)}},
				CapacityInKB: capacityKB}},
		},
	}
	ref := f.must(f.folder.CreateVM(f.ctx, spec, f.pool, nil)).(types.ManagedObjectReference)
	return object.NewVirtualMachine(f.c, ref)
}

func (f *vmFixture) disk(vm *object.VirtualMachine) (*types.VirtualDisk, *types.VirtualDiskFlatVer2BackingInfo) {
	f.t.Helper()
	devices, err := vm.Device(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	disks := devices.SelectByType((*types.VirtualDisk)(nil))
	if len(disks) != 1 {
		f.t.Fatalf("%d disks", len(disks))
	}
	d := disks[0].(*types.VirtualDisk)
	return d, d.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
}

// host is the host path of a datastore path.
func (f *vmFixture) host(dsPath string) string {
	f.t.Helper()
	var p object.DatastorePath
	p.FromString(dsPath)
	for _, ds := range f.ds {
		if ds.Name() == p.Datastore {
			return hostPathOf(f.t, ds, p.Path)
		}
	}
	f.t.Fatalf("no datastore %q", p.Datastore)
	return ""
}

func (f *vmFixture) contents(vm *object.VirtualMachine) []byte {
	f.t.Helper()
	_, b := f.disk(vm)
	return readAll(f.t, f.host(b.FileName))
}

func (f *vmFixture) resize(vm *object.VirtualMachine, capacityKB int64) error {
	d, _ := f.disk(vm)
	d.CapacityInKB, d.CapacityInBytes = capacityKB, capacityKB*1024
	_, err := f.wait(vm.Reconfigure(f.ctx, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: "edit", Device: d}}}))
	return err
}

// export downloads the VM's disk through ExportVm and decodes it.
func (f *vmFixture) export(vm *object.VirtualMachine, capacity int64) []byte {
	f.t.Helper()
	lease, err := vm.Export(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	info, err := lease.Wait(f.ctx, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(info.DeviceUrl) != 1 || !strings.HasPrefix(info.DeviceUrl[0].Url, "https://*/nfc/") {
		f.t.Fatalf("device URLs %+v", info.DeviceUrl)
	}
	u := strings.Replace(info.DeviceUrl[0].Url, "https://*", strings.TrimSuffix(f.r.URL, "/sdk"), 1)
	res, err := http.Get(u)
	if err != nil || res.StatusCode != 200 {
		f.t.Fatalf("GET %s: %v %v", u, res, err)
	}
	defer res.Body.Close()
	got := make([]byte, capacity)
	if _, err := readStreamOptimized(res.Body, capacity, func(off int64, p []byte) error { copy(got[off:], p); return nil }); err != nil {
		f.t.Fatal(err)
	}
	if err := lease.Complete(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	if res, err := http.Get(u); err != nil || res.StatusCode != 404 {
		f.t.Fatalf("a completed lease still serves: %v %v", res, err)
	}
	return got
}

func TestVMDisksHaveContents(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("src", 16<<10)
	_, b := f.disk(vm)
	base := f.host(b.FileName)
	if st, err := os.Stat(flatName(base)); err != nil || st.Size() != 16<<20 {
		t.Fatalf("flat extent: %v %v", st, err)
	}
	want := fillDisk(t, base, 16<<20)

	// Grow, and refuse to shrink.
	if err := f.resize(vm, 24<<10); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(flatName(base)); st.Size() != 24<<20 {
		t.Fatalf("grown extent %d", st.Size())
	}
	want = append(want, make([]byte, 8<<20)...)
	if err := f.resize(vm, 8<<10); err == nil || !strings.Contains(err.Error(), "InvalidDeviceOperation") {
		t.Fatalf("shrink: %v", err)
	}
	if !bytes.Equal(f.contents(vm), want) {
		t.Fatal("contents changed")
	}

	// A snapshot points the disk at a delta; writes go there.
	snap := f.must(vm.CreateSnapshot(f.ctx, "s1", "", false, false)).(types.ManagedObjectReference)
	_, b = f.disk(vm)
	if !strings.HasSuffix(b.FileName, "-000001.vmdk") || b.Parent == nil || f.host(b.Parent.FileName) != base {
		t.Fatalf("after the snapshot the disk is %s (parent %+v)", b.FileName, b.Parent)
	}
	if d, err := readDescriptor(f.host(b.FileName)); err != nil || !d.isDelta() {
		t.Fatalf("delta descriptor: %+v %v", d, err)
	}
	running := f.host(b.FileName)
	if err := writeDiskAt(running, []byte("after the snapshot"), 5000); err != nil {
		t.Fatal(err)
	}
	changed := append([]byte(nil), want...)
	copy(changed[5000:], "after the snapshot")
	if !bytes.Equal(f.contents(vm), changed) || !bytes.Equal(readAll(t, base), want) {
		t.Fatal("the write did not land in the delta only")
	}

	// A linked clone of the snapshot reads the snapshot's bytes; the source keeps its disk.
	linked := object.NewVirtualMachine(f.c, f.must(vm.Clone(f.ctx, f.folder, "linked", types.VirtualMachineCloneSpec{
		Snapshot: &snap, Location: types.VirtualMachineRelocateSpec{DiskMoveType: "createNewChildDiskBacking"},
	})).(types.ManagedObjectReference))
	if _, b2 := f.disk(vm); b2.FileName != b.FileName {
		t.Fatalf("the clone rewrote the source's disk path to %s", b2.FileName)
	}
	_, lb := f.disk(linked)
	if lb.Parent == nil || f.host(lb.Parent.FileName) != base {
		t.Fatalf("linked clone's disk %s has parent %+v", lb.FileName, lb.Parent)
	}
	if !bytes.Equal(f.contents(linked), want) {
		t.Fatal("the linked clone does not read the snapshot's bytes")
	}
	if err := writeDiskAt(f.host(lb.FileName), []byte("clone write"), 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, base), want) {
		t.Fatal("a write to the linked clone touched the parent")
	}

	// A full clone copies the current contents into a base disk of its own.
	full := object.NewVirtualMachine(f.c, f.must(vm.Clone(f.ctx, f.folder, "full", types.VirtualMachineCloneSpec{})).(types.ManagedObjectReference))
	if _, fb := f.disk(full); fb.Parent != nil || !bytes.Equal(f.contents(full), changed) {
		t.Fatal("full clone")
	}

	// Export reads through the chain.
	if !bytes.Equal(f.export(vm, 24<<20), changed) {
		t.Fatal("export of the source differs")
	}

	// Revert discards the running delta.
	f.must(vm.RevertToSnapshot(f.ctx, "s1", true))
	if !bytes.Equal(f.contents(vm), want) {
		t.Fatal("revert kept the write")
	}
	if _, err := os.Stat(running); !os.IsNotExist(err) {
		t.Fatal("revert left the old running delta")
	}
	// The base is shared with the linked clone: removing the snapshot merges nothing and loses nothing.
	f.must(vm.RemoveSnapshot(f.ctx, "s1", false, nil))
	if !bytes.Equal(f.contents(vm), want) || !bytes.Equal(readAll(t, base), want) {
		t.Fatal("removing a shared snapshot changed contents")
	}

	// Relocation moves the files to the other datastore.
	f.must(full.Relocate(f.ctx, types.VirtualMachineRelocateSpec{Datastore: types.NewReference(f.ds[1].Reference())}, ""))
	_, fb := f.disk(full)
	if !strings.HasPrefix(fb.FileName, "["+f.ds[1].Name()+"]") || !bytes.Equal(f.contents(full), changed) {
		t.Fatalf("relocated disk %s", fb.FileName)
	}
	var m mo.VirtualMachine
	if err := full.Properties(f.ctx, full.Reference(), []string{"config.files"}, &m); err != nil || !strings.HasPrefix(m.Config.Files.VmPathName, "["+f.ds[1].Name()+"]") {
		t.Fatalf("relocated files %+v %v", m.Config, err)
	}
}

func TestRemovingASnapshotConsolidates(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("solo", 16<<10)
	_, b := f.disk(vm)
	base := f.host(b.FileName)
	want := fillDisk(t, base, 16<<20)
	f.must(vm.CreateSnapshot(f.ctx, "s1", "", false, false))
	_, b = f.disk(vm)
	delta := f.host(b.FileName)
	if err := writeDiskAt(delta, []byte("kept"), 70000); err != nil {
		t.Fatal(err)
	}
	copy(want[70000:], "kept")
	f.must(vm.CreateSnapshot(f.ctx, "s2", "", false, false))
	// Removing the first snapshot merges its delta into the base; the running delta's parent is then the base.
	f.must(vm.RemoveSnapshot(f.ctx, "s1", false, nil))
	if _, b := f.disk(vm); b.Parent == nil || f.host(b.Parent.FileName) != base || b.Parent.Parent != nil {
		t.Fatalf("after removing s1 the disk's parent is %+v", b.Parent)
	}
	if !bytes.Equal(f.contents(vm), want) {
		t.Fatal("removing s1 changed the contents")
	}
	res, err := methods.RemoveAllSnapshots_Task(f.ctx, f.c, &types.RemoveAllSnapshots_Task{This: vm.Reference()})
	if err != nil {
		t.Fatal(err)
	}
	f.must(object.NewTask(f.c, res.Returnval), nil)
	_, b = f.disk(vm)
	if f.host(b.FileName) != base || b.Parent != nil {
		t.Fatalf("after consolidation the disk is %s", b.FileName)
	}
	if !bytes.Equal(readAll(t, base), want) {
		t.Fatal("consolidation lost the write")
	}
	if _, err := os.Stat(delta); !os.IsNotExist(err) {
		t.Fatal("the delta is still there")
	}
}

func TestDiskWorkHappensUnderAsynchronousTasks(t *testing.T) {
	f := newVMFixture(t, "-control")
	control(t, f.r, "task-delay", `{"ms":100}`)
	// The control state is the process's: later tests must not inherit the delay.
	t.Cleanup(func() { control(t, f.r, "reset", `{}`) })
	vm := f.createVM("slow", 4<<10)
	_, b := f.disk(vm)
	if d, err := readDescriptor(f.host(b.FileName)); err != nil || d.capacity() != 4<<20 {
		t.Fatalf("disk after a delayed CreateVM: %+v %v", d, err)
	}
	if err := f.resize(vm, 2<<10); err == nil || !strings.Contains(err.Error(), "InvalidDeviceOperation") {
		t.Fatalf("shrink under task-delay: %v", err)
	}
	f.must(vm.CreateSnapshot(f.ctx, "s", "", false, false))
	if _, b := f.disk(vm); b.Parent == nil {
		t.Fatal("no delta after a delayed snapshot")
	}
}

func TestDisksOfAVMWithSnapshotsCanBeEditedAndDestroyed(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("snappy", 4<<10)
	_, b := f.disk(vm)
	base := f.host(b.FileName)
	f.must(vm.CreateSnapshot(f.ctx, "s", "", false, false))
	d, b := f.disk(vm)
	delta := f.host(b.FileName)
	// An edit that changes no capacity works on a disk whose file is a delta, and leaves no stray file.
	b.DiskMode = string(types.VirtualDiskModeIndependent_persistent)
	f.must(vm.Reconfigure(f.ctx, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: "edit", Device: d}}}))
	if _, err := os.Stat(flatName(delta)); !os.IsNotExist(err) {
		t.Fatal("a -flat placeholder was left next to the delta")
	}
	// Growing it is refused while it has snapshots.
	if err := f.resize(vm, 8<<10); err == nil || !strings.Contains(err.Error(), "NotSupported") {
		t.Fatalf("grow with snapshots: %v", err)
	}
	// Removing the snapshot without consolidation keeps the delta.
	snap, err := vm.FindSnapshot(f.ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	res, err := methods.RemoveSnapshot_Task(f.ctx, f.c, &types.RemoveSnapshot_Task{This: *snap, Consolidate: types.NewBool(false)})
	if err != nil {
		t.Fatal(err)
	}
	f.must(object.NewTask(f.c, res.Returnval), nil)
	if _, b := f.disk(vm); f.host(b.FileName) != delta {
		t.Fatal("consolidate=false merged the delta")
	}
	// fileOperation destroy deletes the disk's files.
	d, _ = f.disk(vm)
	f.must(vm.Reconfigure(f.ctx, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: "remove", FileOperation: "destroy", Device: d}}}))
	for _, file := range []string{delta, deltaName(delta)} {
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Fatalf("%s survived its destruction", file)
		}
	}
	if _, err := os.Stat(base); err != nil {
		t.Fatal("destroying the delta took its parent")
	}
}

func TestAttachedDisksReportWhatTheirFilesHold(t *testing.T) {
	f := newVMFixture(t)
	src := f.createVM("owner", 4<<10)
	f.must(src.CreateSnapshot(f.ctx, "s", "", false, false))
	_, delta := f.disk(src)
	unit := int32(0)
	attach := types.VirtualMachineConfigSpec{
		Name:  "attacher",
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + f.ds[0].Name() + "]"},
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: "add", Device: &types.VirtualLsiLogicController{VirtualSCSIController: types.VirtualSCSIController{
				VirtualController: types.VirtualController{VirtualDevice: types.VirtualDevice{Key: -100}}, SharedBus: "noSharing", ScsiCtlrUnitNumber: 7}}},
			&types.VirtualDeviceConfigSpec{Operation: "add", Device: &types.VirtualDisk{
				VirtualDevice: types.VirtualDevice{Key: -101, ControllerKey: -100, UnitNumber: &unit, Backing: &types.VirtualDiskFlatVer2BackingInfo{
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: delta.FileName}, DiskMode: "persistent"}}}},
		},
	}
	ref := f.must(f.folder.CreateVM(f.ctx, attach, f.pool, nil)).(types.ManagedObjectReference)
	d, b := f.disk(object.NewVirtualMachine(f.c, ref))
	if d.CapacityInKB != 4<<10 || b.FileName != delta.FileName || b.Parent == nil || b.Parent.FileName != delta.Parent.FileName {
		t.Fatalf("attached delta reports capacity %d, file %s, parent %+v", d.CapacityInKB, b.FileName, b.Parent)
	}
	if _, err := os.Stat(flatName(f.host(delta.FileName))); !os.IsNotExist(err) {
		t.Fatal("a -flat placeholder was left next to the delta")
	}
}

func TestExportLeasesExpireWithoutProgress(t *testing.T) {
	f := newVMFixture(t, "-control")
	vm := f.createVM("exported", 1<<10)
	control(t, f.r, "lease-timeout", `{"ms":150}`)
	t.Cleanup(func() { control(t, f.r, "reset", `{}`) })
	lease, err := vm.Export(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := lease.Wait(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(info.DeviceUrl[0].Url, "https://*", strings.TrimSuffix(f.r.URL, "/sdk"), 1)
	for i := 0; i < 4; i++ { // progress keeps it alive
		time.Sleep(60 * time.Millisecond)
		if err := lease.Progress(f.ctx, int32(10*i)); err != nil {
			t.Fatal(err)
		}
	}
	var l mo.HttpNfcLease
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		if err := vm.Properties(f.ctx, lease.Reference(), []string{"state"}, &l); err != nil {
			t.Fatal(err)
		}
		if l.State == types.HttpNfcLeaseStateError {
			break
		}
	}
	if l.State != types.HttpNfcLeaseStateError {
		t.Fatalf("lease state %s", l.State)
	}
	if res, err := http.Get(u); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("GET of an expired lease: %v %v", res, err)
	}
	err = lease.Complete(f.ctx)
	if !soap.IsSoapFault(err) {
		t.Fatalf("Complete of an expired lease: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.Timedout); !ok {
		t.Fatalf("Complete of an expired lease: %#v", soap.ToSoapFault(err).VimFault())
	}
	if err := lease.Abort(f.ctx, nil); err != nil {
		t.Fatalf("Abort of an expired lease: %v", err)
	}
}

func TestAVMWhoseDiskCannotBeMadeIsNotLeftBehind(t *testing.T) {
	f := newVMFixture(t)
	unit := int32(0)
	spec := types.VirtualMachineConfigSpec{
		Name:  "zero",
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + f.ds[0].Name() + "]"},
		DeviceChange: []types.BaseVirtualDeviceConfigSpec{
			&types.VirtualDeviceConfigSpec{Operation: "add", Device: &types.VirtualLsiLogicController{VirtualSCSIController: types.VirtualSCSIController{
				VirtualController: types.VirtualController{VirtualDevice: types.VirtualDevice{Key: -100}}, SharedBus: "noSharing", ScsiCtlrUnitNumber: 7}}},
			&types.VirtualDeviceConfigSpec{Operation: "add", FileOperation: "create", Device: &types.VirtualDisk{
				VirtualDevice: types.VirtualDevice{Key: -101, ControllerKey: -100, UnitNumber: &unit, Backing: &types.VirtualDiskFlatVer2BackingInfo{
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: "[" + f.ds[0].Name() + "]"}, DiskMode: "persistent"}}}},
		},
	}
	// The simulator creates the VM; the disk layer fails its task and removes it again.
	if _, err := f.wait(f.folder.CreateVM(f.ctx, spec, f.pool, nil)); err == nil || soap.IsSoapFault(err) || !strings.Contains(err.Error(), "InvalidDeviceSpec") {
		t.Fatalf("a disk of no capacity: %v", err)
	}
	vms, err := find.NewFinder(f.c, true).VirtualMachineList(f.ctx, "*")
	if err == nil && len(vms) != 0 {
		t.Fatalf("VMs left: %v", vms)
	}
	if _, err := os.Stat(hostPathOf(t, f.ds[0], "zero")); !os.IsNotExist(err) {
		t.Fatal("the VM's folder was left behind")
	}
}

func TestChildMostClonesAndRelocatingLinkedClones(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("base", 4<<10)
	_, b := f.disk(vm)
	base := f.host(b.FileName)
	want := fillDisk(t, base, 4<<20)
	f.must(vm.CreateSnapshot(f.ctx, "s", "", false, false))
	_, b = f.disk(vm)
	if err := writeDiskAt(f.host(b.FileName), []byte("child-most"), 1234); err != nil {
		t.Fatal(err)
	}
	current := append([]byte(nil), want...)
	copy(current[1234:], "child-most")

	// moveChildMostDiskBacking: the clone gets its own copy of the child-most delta on the shared base.
	cm := object.NewVirtualMachine(f.c, f.must(vm.Clone(f.ctx, f.folder, "childmost", types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{DiskMoveType: "moveChildMostDiskBacking"},
	})).(types.ManagedObjectReference))
	_, cb := f.disk(cm)
	if cb.Parent == nil || f.host(cb.Parent.FileName) != base || cb.FileName == b.FileName {
		t.Fatalf("child-most clone disk %s, parent %+v", cb.FileName, cb.Parent)
	}
	if !bytes.Equal(f.contents(cm), current) {
		t.Fatal("child-most clone contents")
	}
	if err := writeDiskAt(f.host(cb.FileName), []byte("clone only"), 1234); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.contents(vm), current) {
		t.Fatal("a write to the child-most clone reached the source")
	}
	cmWant := append([]byte(nil), current...)
	copy(cmWant[1234:], "clone only")

	// Relocating it while allowing sharing keeps the shared base; the default consolidates it.
	twin := object.NewVirtualMachine(f.c, f.must(cm.Clone(f.ctx, f.folder, "twin", types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{DiskMoveType: "moveChildMostDiskBacking"},
	})).(types.ManagedObjectReference))
	f.must(cm.Relocate(f.ctx, types.VirtualMachineRelocateSpec{Datastore: types.NewReference(f.ds[1].Reference()), DiskMoveType: "moveAllDiskBackingsAndAllowSharing"}, ""))
	_, cb = f.disk(cm)
	if !strings.HasPrefix(cb.FileName, "["+f.ds[1].Name()+"]") || cb.Parent == nil || f.host(cb.Parent.FileName) != base || !bytes.Equal(f.contents(cm), cmWant) {
		t.Fatalf("relocated with sharing: %s parent %+v", cb.FileName, cb.Parent)
	}
	f.must(twin.Relocate(f.ctx, types.VirtualMachineRelocateSpec{Datastore: types.NewReference(f.ds[1].Reference())}, ""))
	_, tb := f.disk(twin)
	if !strings.HasPrefix(tb.FileName, "["+f.ds[1].Name()+"]") || tb.Parent != nil || !bytes.Equal(f.contents(twin), cmWant) {
		t.Fatalf("relocated without sharing: %s parent %+v", tb.FileName, tb.Parent)
	}
	if !bytes.Equal(readAll(t, base), want) {
		t.Fatal("the shared base changed")
	}
	// Relocating the VM that holds the base: its linked clones follow the base to its new place.
	f.must(vm.Relocate(f.ctx, types.VirtualMachineRelocateSpec{Datastore: types.NewReference(f.ds[1].Reference()), DiskMoveType: "moveAllDiskBackingsAndAllowSharing"}, ""))
	if !bytes.Equal(f.contents(vm), current) || !bytes.Equal(f.contents(cm), cmWant) {
		t.Fatal("after moving the base, a disk reads other bytes")
	}
	if _, err := os.Stat(base); !os.IsNotExist(err) {
		t.Fatal("the base stayed where it was")
	}
	_, vb := f.disk(vm)
	if _, cb := f.disk(cm); cb.Parent == nil || cb.Parent.FileName != vb.Parent.FileName {
		t.Fatalf("the clone's device still names the old base: %+v", cb.Parent)
	}
}

func TestReplacingADiskGivesAnEmptyOne(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("replaced", 2<<10)
	d, b := f.disk(vm)
	fillDisk(t, f.host(b.FileName), 2<<20)
	d.CapacityInKB, d.CapacityInBytes = 4<<10, 4<<20
	f.must(vm.Reconfigure(f.ctx, types.VirtualMachineConfigSpec{DeviceChange: []types.BaseVirtualDeviceConfigSpec{
		&types.VirtualDeviceConfigSpec{Operation: "edit", FileOperation: "replace", Device: d}}}))
	if got := f.contents(vm); len(got) != 4<<20 || !isAllZero(got) {
		t.Fatalf("replaced disk: %d bytes, zero %v", len(got), isAllZero(got))
	}
}
