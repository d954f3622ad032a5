package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func readAll(t *testing.T, desc string) []byte {
	t.Helper()
	c, err := openDiskChain(desc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := make([]byte, c.capacity)
	if _, err := c.ReadAt(b, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return b
}

func allocated(t *testing.T, file string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func TestBaseDiskIsSparseAndRoundTrips(t *testing.T) {
	dir := t.TempDir()
	desc := filepath.Join(dir, "a.vmdk")
	if err := createBaseDisk(desc, 10<<30, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	if err := createBaseDisk(desc, 1<<20, "lsiLogic", "thin"); err == nil {
		t.Fatal("created over an existing disk")
	}
	d, err := readDescriptor(desc)
	if err != nil {
		t.Fatal(err)
	}
	if d.capacity() != 10<<30 || d.diskType() != "thin" || d.Extent != "a-flat.vmdk" || d.DDB["ddb.adapterType"] != "lsilogic" {
		t.Fatalf("descriptor %+v", d)
	}
	st, _ := os.Stat(flatName(desc))
	if st.Size() != 10<<30 || allocated(t, flatName(desc)) > 1<<20 {
		t.Fatalf("flat extent size %d, allocated %d", st.Size(), allocated(t, flatName(desc)))
	}
	if err := writeDiskAt(desc, []byte("hello"), 5<<30); err != nil {
		t.Fatal(err)
	}
	if err := extendDisk(desc, 1<<30); err != errShrink {
		t.Fatalf("shrink: %v", err)
	}
	if err := extendDisk(desc, 12<<30); err != nil {
		t.Fatal(err)
	}
	c, err := openDiskChain(desc)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := c.ReadAt(buf, 5<<30-1); err != nil || string(buf) != "\x00hello\x00" {
		t.Fatalf("read %q %v", buf, err)
	}
	if c.capacity != 12<<30 {
		t.Fatalf("capacity %d", c.capacity)
	}
	ranges, _ := c.storedRanges()
	c.Close()
	if len(ranges) != 1 || ranges[0].off > 5<<30 || ranges[0].end < 5<<30+5 {
		t.Fatalf("ranges %v", ranges)
	}
	for _, bad := range []string{"", "garbage\x00", "createType=\"vmfs\"\n", "createType=\"vmfs\"\nRW 8 VMFS \"../x\"\n"} {
		if _, err := parseDescriptor(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestDeltaReadsThroughAndCopiesOnWrite(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base", "base.vmdk")
	if err := createBaseDisk(base, 1<<20, "lsiLogic", "preallocated"); err != nil {
		t.Fatal(err)
	}
	if err := writeDiskAt(base, bytes.Repeat([]byte{0xAA}, 1<<20), 0); err != nil {
		t.Fatal(err)
	}
	child := filepath.Join(dir, "clone", "clone.vmdk")
	if err := createDeltaDisk(child, base, dir); err != nil {
		t.Fatal(err)
	}
	d, _ := readDescriptor(child)
	if !d.isDelta() || d.ParentHint != "../base/base.vmdk" {
		t.Fatalf("delta descriptor %+v", d)
	}
	if got := readAll(t, child); !bytes.Equal(got, bytes.Repeat([]byte{0xAA}, 1<<20)) {
		t.Fatal("the child does not read its parent's bytes")
	}
	// A small write (zeros, too) lands in the child only; the rest of its block keeps the parent's bytes.
	if err := writeDiskAt(child, make([]byte, 10), 100); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{0xAA}, 1<<20)
	copy(want[100:110], make([]byte, 10))
	if !bytes.Equal(readAll(t, child), want) {
		t.Fatal("copy on write lost the parent's bytes around the write")
	}
	if !bytes.Equal(readAll(t, base), bytes.Repeat([]byte{0xAA}, 1<<20)) {
		t.Fatal("a write to the child touched the parent")
	}
	// Consolidating copy, and a copy of the delta itself.
	flat := filepath.Join(dir, "copy", "flat.vmdk")
	if err := copyDiskFlat(child, flat, "", "thin"); err != nil {
		t.Fatal(err)
	}
	if fd, _ := readDescriptor(flat); fd.isDelta() || fd.diskType() != "thin" || !bytes.Equal(readAll(t, flat), want) {
		t.Fatal("consolidated copy differs")
	}
	twin := filepath.Join(dir, "copy", "twin.vmdk")
	if err := copyDiskAsIs(child, twin, dir); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, twin), want) {
		t.Fatal("delta copy differs")
	}
	moved := filepath.Join(dir, "elsewhere", "moved.vmdk")
	if err := moveDisk(twin, moved, dir); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, moved), want) {
		t.Fatal("moved delta differs")
	}
	if _, err := os.Stat(twin); !os.IsNotExist(err) {
		t.Fatal("move left the source")
	}
}

func TestVirtualDiskManagerKeepsContents(t *testing.T) {
	_, c := testServer(t, "-vm", "1")
	ctx := context.Background()
	_, dc, ds := defaultPlaces(t, c)
	m := object.NewVirtualDiskManager(c)
	wait := func(task *object.Task, err error) error {
		if err != nil {
			return err
		}
		return task.Wait(ctx)
	}
	spec := &types.FileBackedVirtualDiskSpec{VirtualDiskSpec: types.VirtualDiskSpec{DiskType: "thin", AdapterType: "lsiLogic"}, CapacityKb: 1 << 20}
	name := ds.Path("vols/a.vmdk")
	if err := wait(m.CreateVirtualDisk(ctx, name, dc, spec)); err != nil {
		t.Fatal(err)
	}
	if err := wait(m.CreateVirtualDisk(ctx, name, dc, spec)); err == nil || !strings.Contains(err.Error(), "FileAlreadyExists") {
		t.Fatalf("second create: %v", err)
	}
	host := hostPathOf(t, ds, "vols/a.vmdk")
	if err := writeDiskAt(host, []byte("payload"), 1000); err != nil {
		t.Fatal(err)
	}
	extend := func(kb int64) error {
		req := types.ExtendVirtualDisk_Task{This: m.Reference(), Name: name, Datacenter: types.NewReference(dc.Reference()), NewCapacityKb: kb}
		res, err := extendVirtualDisk(ctx, c, &req)
		if err != nil {
			return err
		}
		return object.NewTask(c, res).Wait(ctx)
	}
	if err := extend(2 << 20); err != nil {
		t.Fatal(err)
	}
	if err := extend(1 << 10); err == nil || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Fatalf("shrink: %v", err)
	}
	copyName := ds.Path("vols/b.vmdk")
	if err := wait(m.CopyVirtualDisk(ctx, name, dc, copyName, nil, nil, false)); err != nil {
		t.Fatal(err)
	}
	cc, err := openDiskChain(hostPathOf(t, ds, "vols/b.vmdk"))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1<<20)
	_, err = cc.ReadAt(got, 0)
	cc.Close()
	if err != nil || cc.capacity != 2<<30 || string(got[1000:1007]) != "payload" || !isAllZero(got[1007:]) {
		t.Fatalf("copy: capacity %d, %v", cc.capacity, err)
	}
	if a := allocated(t, flatName(hostPathOf(t, ds, "vols/b.vmdk"))); a > 1<<20 {
		t.Fatalf("the copy allocated %d bytes", a)
	}
	infos, err := m.QueryVirtualDiskInfo(ctx, copyName, dc, true)
	if err != nil || len(infos) != 1 || infos[0].DiskType != "thin" {
		t.Fatalf("info %+v %v", infos, err)
	}
	const uuid = "60 00 C2 9b 1e 9d 9c 60-0c 4d 5b 15 6d 51 28 a3"
	if err := m.SetVirtualDiskUuid(ctx, copyName, dc, uuid); err != nil {
		t.Fatal(err)
	}
	if err := m.SetVirtualDiskUuid(ctx, copyName, dc, "not a uuid"); err == nil {
		t.Fatal("a bad UUID was set")
	}
	if err := wait(m.MoveVirtualDisk(ctx, copyName, dc, ds.Path("vols/c.vmdk"), nil, false)); err != nil {
		t.Fatal(err)
	}
	if got, err := m.QueryVirtualDiskUuid(ctx, ds.Path("vols/c.vmdk"), dc); err != nil || got != uuid {
		t.Fatalf("the UUID did not follow the move: %q %v", got, err)
	}
	if err := wait(m.DeleteVirtualDisk(ctx, ds.Path("vols/c.vmdk"), dc)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(host)); len(entries) != 2 {
		t.Fatalf("left in the folder: %v", entries)
	}
}

// hostPathOf is where a datastore path lives on this host (the datastore's info.url).
func hostPathOf(t *testing.T, ds *object.Datastore, rel string) string {
	t.Helper()
	var m mo.Datastore
	if err := ds.Properties(context.Background(), ds.Reference(), []string{"info"}, &m); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(m.Info.GetDatastoreInfo().Url, rel)
}

func extendVirtualDisk(ctx context.Context, c *vim25.Client, req *types.ExtendVirtualDisk_Task) (types.ManagedObjectReference, error) {
	res, err := methods.ExtendVirtualDisk_Task(ctx, c, req)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	return res.Returnval, nil
}

func TestDisksOnAStandaloneHost(t *testing.T) {
	_, c := testServer(t, "-model", "esx", "-vm", "1")
	ctx := context.Background()
	finder, _, ds := defaultPlaces(t, c)
	m := object.NewVirtualDiskManager(c)
	// On ESX the datacenter argument may be left out.
	spec := &types.FileBackedVirtualDiskSpec{VirtualDiskSpec: types.VirtualDiskSpec{DiskType: "eagerZeroedThick", AdapterType: "ide"}, CapacityKb: 2048}
	task, err := m.CreateVirtualDisk(ctx, ds.Path("esx/a.vmdk"), nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := readDescriptor(hostPathOf(t, ds, "esx/a.vmdk"))
	if err != nil || d.diskType() != "eagerZeroedThick" || d.DDB["ddb.adapterType"] != "ide" || d.capacity() != 2<<20 {
		t.Fatalf("%+v %v", d, err)
	}
	// The model's own VM has a real disk, and exports.
	vms, err := finder.VirtualMachineList(ctx, "*")
	if err != nil || len(vms) == 0 {
		t.Fatal(err)
	}
	if _, err := vms[0].Export(ctx); err == nil || !strings.Contains(err.Error(), "InvalidPowerState") {
		t.Fatalf("export of a running VM: %v", err)
	}
	off, err := vms[0].PowerOff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := off.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	lease, err := vms[0].Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := lease.Wait(ctx, nil)
	if err != nil || len(info.DeviceUrl) != 1 {
		t.Fatalf("%+v %v", info, err)
	}
	if err := lease.Abort(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTheDatastoreBrowserShowsDisksNotExtents(t *testing.T) {
	_, c := testServer(t, "-vm", "0")
	ctx := context.Background()
	_, dc, ds := defaultPlaces(t, c)
	m := object.NewVirtualDiskManager(c)
	spec := &types.FileBackedVirtualDiskSpec{VirtualDiskSpec: types.VirtualDiskSpec{DiskType: "thin", AdapterType: "paraVirtual"}, CapacityKb: 10 << 20}
	task, err := m.CreateVirtualDisk(ctx, ds.Path("b/big.vmdk"), dc, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	browser, err := ds.Browser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	search := func(q types.BaseFileQuery) []types.BaseFileInfo {
		task, err := browser.SearchDatastore(ctx, ds.Path("b"), &types.HostDatastoreBrowserSearchSpec{
			Query: []types.BaseFileQuery{q}, Details: &types.FileQueryFlags{FileType: true, FileSize: true}, MatchPattern: []string{"*"},
		})
		if err != nil {
			t.Fatal(err)
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return info.Result.(types.HostDatastoreBrowserSearchResults).File
	}
	files := search(&types.FileQuery{})
	if len(files) != 1 || files[0].GetFileInfo().Path != "big.vmdk" || files[0].GetFileInfo().FileSize > 1<<20 {
		t.Fatalf("plain search: %d files, first %+v", len(files), files[0].GetFileInfo())
	}
	yes := types.NewBool(true)
	files = search(&types.VmDiskFileQuery{Details: &types.VmDiskFileQueryFlags{CapacityKb: true, DiskType: true, Thin: yes, ControllerType: yes, DiskExtents: yes}})
	disk, ok := files[0].(*types.VmDiskFileInfo)
	if len(files) != 1 || !ok || disk.CapacityKb != 10<<20 || disk.Thin == nil || !*disk.Thin || disk.ControllerType != "ParaVirtualSCSIController" ||
		len(disk.DiskExtents) != 1 || disk.DiskExtents[0] != ds.Path("b/big-flat.vmdk") {
		t.Fatalf("disk search: %+v", files[0])
	}
}
