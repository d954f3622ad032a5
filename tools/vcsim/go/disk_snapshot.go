// Gap filled: govmomi 0.24's snapshots make no delta disks (CreateSnapshot_Task writes one empty
// .vmsn file), RevertToSnapshot_Task and RevertToCurrentSnapshot_Task change no disk, and
// RemoveSnapshot_Task and RemoveAllSnapshots_Task consolidate nothing.
//
// Through the SOAP layer of disk_soap.go, after the simulator's handler: a snapshot turns each disk's
// current file read-only and points the disk at a new delta on top of it (name-000001.vmdk, ...), as
// vSphere does; the file that holds each disk's state at the snapshot is recorded. A revert discards
// the running delta and starts a new one on the snapshot's files. Removing a snapshot consolidates:
// the one delta above the snapshot's file is merged into it and whatever pointed at that delta points
// at the file; when the snapshot's file has more than one child (a linked clone shares it, or a revert
// branched the tree) nothing is merged and nothing is lost.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	handleSoap("CreateSnapshot_Task", createSnapshot)
	handleSoap("RevertToSnapshot_Task", revertSnapshot)
	handleSoap("RevertToCurrentSnapshot_Task", revertSnapshot)
	handleSoap("RemoveSnapshot_Task", removeSnapshots)
	handleSoap("RemoveAllSnapshots_Task", removeSnapshots)
}

// snapshots records, per snapshot, the host path of the descriptor holding each disk's (by device
// key) state at the snapshot.
var snapshots = struct {
	sync.Mutex
	disks map[types.ManagedObjectReference]map[int32]string
}{disks: map[types.ManagedObjectReference]map[int32]string{}}

func snapshotDiskFiles(ref types.ManagedObjectReference) map[int32]string {
	snapshots.Lock()
	defer snapshots.Unlock()
	files, ok := snapshots.disks[ref]
	if !ok {
		return nil
	}
	out := make(map[int32]string, len(files))
	for k, v := range files {
		out[k] = v
	}
	return out
}

// moveSnapshotRecords follows a VM folder that moved.
func moveSnapshotRecords(from, to string) {
	snapshots.Lock()
	defer snapshots.Unlock()
	for _, files := range snapshots.disks {
		for k, v := range files {
			if strings.HasPrefix(v, from+string(filepath.Separator)) {
				files[k] = filepath.Join(to, strings.TrimPrefix(v, from+string(filepath.Separator)))
			}
		}
	}
}

var deltaSuffix = regexp.MustCompile(`-\d{6}$`)

// createNextDelta creates a delta on top of parent under the first free "stem-00000N.vmdk" next to
// it and returns its name. Picking and creating are one step: createDeltaDisk makes the delta's extent
// with O_EXCL, so of two callers that pick the same name one gets it and the other moves on to the
// next (a look for a free name followed by a create let both take it).
func createNextDelta(parent, datastoreRoot string) (string, error) {
	stem := deltaSuffix.ReplaceAllString(strings.TrimSuffix(parent, ".vmdk"), "")
	for i := 1; ; i++ {
		name := fmt.Sprintf("%s-%06d.vmdk", stem, i)
		err := createDeltaDisk(name, parent, datastoreRoot)
		var taken *errExists
		if errors.As(err, &taken) || errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
}

// startDeltas points each of the VM's disks at a new delta on top of base[key] (or of its current
// file), returning the device list to set; on failure the new deltas are removed.
func startDeltas(vm *simulator.VirtualMachine, base map[int32]string) ([]types.BaseVirtualDevice, []string, types.BaseMethodFault) {
	devices := copyDevices(vm.Config.Hardware.Device)
	var made []string
	for _, d := range disksOf(devices) {
		parent, ok := base[d.disk.Key]
		if !ok {
			f, fault := diskHost(vm, d.backing.FileName)
			if fault != nil {
				return nil, nil, fault
			}
			parent = f.host
		}
		ds := datastoreOfHost(parent)
		if ds == nil {
			return nil, nil, &types.FileNotFound{FileFault: types.FileFault{File: d.backing.FileName}}
		}
		delta, err := createNextDelta(parent, ds.Info.GetDatastoreInfo().Url)
		if err != nil {
			for _, m := range made {
				_ = deleteDiskFiles(m)
			}
			return nil, nil, fileFault(d.backing.FileName, err)
		}
		made = append(made, delta)
		pointDisk(d.disk, delta)
	}
	return devices, made, nil
}

func createSnapshot(c *soapCall) {
	_, vm, ok := vmCall(c, func(r *types.CreateSnapshot_Task) types.ManagedObjectReference { return r.This })
	if !ok {
		return
	}
	defer lockVMOps(vm)()
	rec, task, ok := c.forwardForTask()
	if !ok {
		return
	}
	snap, _ := task.Info.Result.(types.ManagedObjectReference)
	var fault types.BaseMethodFault
	simulator.Map.WithLock(vm, func() {
		files := map[int32]string{}
		for _, d := range disksOf(vm.Config.Hardware.Device) {
			f, ff := diskHost(vm, d.backing.FileName)
			if ff != nil {
				fault = ff
				return
			}
			files[d.disk.Key] = f.host
		}
		devices, _, ff := startDeltas(vm, files)
		if ff != nil {
			fault = ff
			return
		}
		snapshots.Lock()
		snapshots.disks[snap] = files
		snapshots.Unlock()
		setDevices(vm, devices)
	})
	if fault != nil {
		if s, ok := simulator.Map.Get(snap).(*simulator.VirtualMachineSnapshot); ok {
			_ = s.RemoveSnapshotTask(diskInternalContext(), &types.RemoveSnapshot_Task{This: snap})
		}
		failDiskTask(&task.Self, fault)
	}
	c.send(rec)
}

// discardable tells whether a delta disk belongs to no snapshot and is no disk's parent: a running
// delta that a revert may drop.
func discardable(host string) bool {
	d, err := readDescriptor(host)
	if err != nil || !d.isDelta() {
		return false
	}
	snapshots.Lock()
	for _, files := range snapshots.disks {
		for _, f := range files {
			if f == host {
				snapshots.Unlock()
				return false
			}
		}
	}
	snapshots.Unlock()
	return len(childrenOf(host)) == 0
}

func revertSnapshot(c *soapCall) {
	var vm *simulator.VirtualMachine
	var snap *types.ManagedObjectReference
	switch req := c.method.Body.(type) {
	case *types.RevertToSnapshot_Task:
		if s, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachineSnapshot); ok {
			vm = vmOf(s.Vm)
			ref := req.This
			snap = &ref
		}
	case *types.RevertToCurrentSnapshot_Task:
		if vm = vmOf(req.This); vm != nil && vm.Snapshot != nil {
			snap = vm.Snapshot.CurrentSnapshot
		}
	}
	if vm == nil || snap == nil {
		c.send(c.forward())
		return
	}
	defer lockVMOps(vm)()
	rec, task, ok := c.forwardForTask()
	if !ok {
		return
	}
	files := snapshotDiskFiles(*snap)
	var fault types.BaseMethodFault
	simulator.Map.WithLock(vm, func() {
		var old []string
		for _, d := range disksOf(vm.Config.Hardware.Device) {
			if f, ff := diskHost(vm, d.backing.FileName); ff == nil {
				old = append(old, f.host)
			}
		}
		devices, _, ff := startDeltas(vm, files)
		if ff != nil {
			fault = ff
			return
		}
		setDevices(vm, devices)
		for _, o := range old {
			if discardable(o) {
				_ = deleteDiskFiles(o)
			}
		}
	})
	if fault != nil {
		failDiskTask(&task.Self, fault)
	}
	c.send(rec)
}

// snapshotSubtree lists a snapshot and, when asked, its descendants.
func snapshotSubtree(tree []types.VirtualMachineSnapshotTree, ref types.ManagedObjectReference, children bool) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	var all func(t []types.VirtualMachineSnapshotTree)
	all = func(t []types.VirtualMachineSnapshotTree) {
		for _, s := range t {
			out = append(out, s.Snapshot)
			all(s.ChildSnapshotList)
		}
	}
	var find func(t []types.VirtualMachineSnapshotTree) bool
	find = func(t []types.VirtualMachineSnapshotTree) bool {
		for _, s := range t {
			if s.Snapshot == ref {
				out = append(out, s.Snapshot)
				if children {
					all(s.ChildSnapshotList)
				}
				return true
			}
			if find(s.ChildSnapshotList) {
				return true
			}
		}
		return false
	}
	find(tree)
	return out
}

func removeSnapshots(c *soapCall) {
	var vm *simulator.VirtualMachine
	var gone []types.ManagedObjectReference
	merge := true
	switch req := c.method.Body.(type) {
	case *types.RemoveSnapshot_Task:
		merge = req.Consolidate == nil || *req.Consolidate
		if s, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachineSnapshot); ok {
			vm = vmOf(s.Vm)
			if vm != nil && vm.Snapshot != nil {
				simulator.Map.WithLock(vm, func() {
					gone = snapshotSubtree(vm.Snapshot.RootSnapshotList, req.This, req.RemoveChildren)
				})
			}
		}
	case *types.RemoveAllSnapshots_Task:
		merge = req.Consolidate == nil || *req.Consolidate
		if vm = vmOf(req.This); vm != nil && vm.Snapshot != nil {
			simulator.Map.WithLock(vm, func() {
				var all func(t []types.VirtualMachineSnapshotTree)
				all = func(t []types.VirtualMachineSnapshotTree) {
					for _, s := range t {
						gone = append(gone, s.Snapshot)
						all(s.ChildSnapshotList)
					}
				}
				all(vm.Snapshot.RootSnapshotList)
			})
		}
	}
	if vm == nil || len(gone) == 0 {
		c.send(c.forward())
		return
	}
	defer lockVMOps(vm)()
	rec, task, ok := c.forwardForTask()
	if !ok {
		return
	}
	var fault types.BaseMethodFault
	var relinked []string
	simulator.Map.WithLock(vm, func() {
		for _, s := range gone {
			if fault = consolidate(vm, s, merge, &relinked); fault != nil {
				return
			}
		}
	})
	if fault != nil {
		failDiskTask(&task.Self, fault)
	}
	refreshDisksUsing(relinked, vm) // with this VM's lock released
	c.send(rec)
}

// childrenOf lists the delta disks, on every datastore, whose parent is the disk at host.
func childrenOf(host string) []string {
	var out []string
	for _, obj := range simulator.Map.All("Datastore") {
		ds, ok := obj.(*simulator.Datastore)
		if !ok {
			continue
		}
		_ = filepath.Walk(ds.Info.GetDatastoreInfo().Url, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(p, ".vmdk") || info.Size() > 64<<10 || info.Size() == 0 {
				return nil
			}
			if strings.HasSuffix(p, "-flat.vmdk") || strings.HasSuffix(p, "-delta.vmdk") {
				return nil
			}
			if d, err := readDescriptor(p); err == nil && d.isDelta() && resolveParent(p, d.ParentHint) == host {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// consolidate drops a snapshot's record and, when asked to merge and its file has exactly one child
// delta, merges that delta into the file and re-points everything that named the delta.
func consolidate(vm *simulator.VirtualMachine, snap types.ManagedObjectReference, merge bool, relinked *[]string) types.BaseMethodFault {
	snapshots.Lock()
	files := snapshots.disks[snap]
	delete(snapshots.disks, snap)
	snapshots.Unlock()
	if !merge {
		return nil // consolidate=false: the deltas stay until a later consolidation
	}
	for key, file := range files {
		children := childrenOf(file)
		if len(children) != 1 {
			continue
		}
		child := children[0]
		if err := mergeInto(child, file); err != nil {
			return fileFault(file, err)
		}
		// Whatever named the child names the file now: the VM's disk, other snapshots, grandchildren.
		devices := copyDevices(vm.Config.Hardware.Device)
		for _, d := range disksOf(devices) {
			if f, ff := diskHost(vm, d.backing.FileName); ff == nil && f.host == child {
				pointDisk(d.disk, file)
			}
		}
		snapshots.Lock()
		for _, other := range snapshots.disks {
			if other[key] == child {
				other[key] = file
			}
		}
		snapshots.Unlock()
		grandchildren := childrenOf(child)
		for _, grandchild := range grandchildren {
			if d, err := readDescriptor(grandchild); err == nil {
				if pd, err := readDescriptor(file); err == nil {
					d.ParentCID = pd.CID
				}
				ds := datastoreOfHost(grandchild)
				root := ""
				if ds != nil {
					root = ds.Info.GetDatastoreInfo().Url
				}
				d.ParentHint = parentHintFor(grandchild, file, root)
				if err := writeDescriptor(grandchild, d); err != nil {
					return fileFault(grandchild, err)
				}
			}
		}
		_ = deleteDiskFiles(child)
		*relinked = append(*relinked, grandchildren...)
		for _, d := range disksOf(devices) {
			if f, ff := diskHost(vm, d.backing.FileName); ff == nil {
				pointDisk(d.disk, f.host) // parent chains and capacities as they are now
			}
		}
		setDevices(vm, devices)
	}
	return nil
}

// mergeInto writes the bytes a delta stores into its parent's top extent.
func mergeInto(delta, parent string) error {
	dd, err := readDescriptor(delta)
	if err != nil {
		return err
	}
	pd, err := readDescriptor(parent)
	if err != nil {
		return err
	}
	in, err := os.Open(filepath.Join(filepath.Dir(delta), dd.Extent))
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(filepath.Join(filepath.Dir(parent), pd.Extent), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	ranges, err := storedRanges(in, dd.capacity())
	if err == nil {
		err = copyStoredRanges(in, out, ranges, false)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && dd.Sectors > pd.Sectors {
		err = extendDisk(parent, dd.capacity())
	}
	return err
}
