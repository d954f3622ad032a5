// Gap filled: govmomi 0.24's VM methods keep no disk contents. A disk added with fileOperation
// "create" is two empty files whatever its capacity; a disk edit may shrink a disk and growing one
// grows no file; CloneVM_Task makes empty disks, ignores the disk move type and rewrites the source
// VM's disk paths (its devices are shared with the clone and edited in place); RelocateVM_Task moves
// no files; a disk whose file is a delta (a VM with snapshots) cannot even be edited, because the
// simulator looks for a "-flat" file next to every disk.
//
// Through the SOAP layer of disk_soap.go, after the simulator's own handler has done the inventory
// work: new disks become real disks of their capacity and type (disk.go); a grown disk grows its file
// and a shrink is refused as vCenter refuses it (the task fails with InvalidDeviceOperation); a clone
// copies contents (full clone), creates a child delta (createNewChildDiskBacking) or copies only the
// child-most delta (moveChildMostDiskBacking), from the VM's current disks or the given snapshot's,
// and the source keeps its own devices; a relocation to another datastore moves the VM's files.
package main

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	handleSoap("CreateVM_Task", createVM)
	handleSoap("ReconfigVM_Task", reconfigVM)
	handleSoap("CloneVM_Task", cloneVM)
	handleSoap("RelocateVM_Task", relocateVM)
}

// vmOps serialises, per VM, the calls of this layer that read or replace a VM's devices around the
// simulator's handler (clone, reconfigure, relocate, the snapshot methods), as vCenter runs one such
// task on a VM at a time. The simulator's CloneVM_Task edits the source's device objects in place and
// hands the same objects to the clone; cloneVM puts copies back afterwards, and without this lock a
// second clone of the same VM in between saw (and cloned, and "restored") the first clone's devices:
// two clones then shared one disk path, and filling it failed with FileAlreadyExists.
var vmOps = struct {
	sync.Mutex
	locks map[types.ManagedObjectReference]*sync.Mutex
}{locks: map[types.ManagedObjectReference]*sync.Mutex{}}

// lockVMOps takes the VM's lock of this layer (never one of the simulator's) and returns its release.
// A caller holds at most one such lock at a time.
func lockVMOps(vm *simulator.VirtualMachine) func() {
	vmOps.Lock()
	mu, ok := vmOps.locks[vm.Self]
	if !ok {
		mu = &sync.Mutex{}
		vmOps.locks[vm.Self] = mu
	}
	vmOps.Unlock()
	mu.Lock()
	return mu.Unlock
}

// diskInternalContext is the context of the file layer's own calls into simulator handlers.
func diskInternalContext() *simulator.Context {
	return &simulator.Context{
		Context: context.Background(),
		Session: &simulator.Session{UserSession: types.UserSession{Key: "vmkit-disk-layer", UserName: "vcsim"}, Registry: simulator.NewRegistry()},
		Map:     simulator.Map,
	}
}

// vmOf returns the VM a request names, if it is one.
func vmOf(ref types.ManagedObjectReference) *simulator.VirtualMachine {
	vm, _ := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	return vm
}

// vmDisk is one disk of a VM with a file backing.
type vmDisk struct {
	index   int
	disk    *types.VirtualDisk
	backing *types.VirtualDiskFlatVer2BackingInfo
}

func disksOf(devices []types.BaseVirtualDevice) []vmDisk {
	var out []vmDisk
	for i, d := range devices {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
			out = append(out, vmDisk{i, disk, b})
		}
	}
	return out
}

// copyDevice is a copy of a device that shares nothing this layer edits (the disk backing).
func copyDevice(d types.BaseVirtualDevice) types.BaseVirtualDevice {
	disk, ok := d.(*types.VirtualDisk)
	if !ok {
		return d
	}
	nd := *disk
	if b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
		nb := *b
		nd.Backing = &nb
	}
	return &nd
}

func copyDevices(devices []types.BaseVirtualDevice) []types.BaseVirtualDevice {
	out := make([]types.BaseVirtualDevice, len(devices))
	for i, d := range devices {
		out[i] = copyDevice(d)
	}
	return out
}

// setDevices replaces a VM's device list (and tells property collectors).
func setDevices(vm *simulator.VirtualMachine, devices []types.BaseVirtualDevice) {
	simulator.Map.Update(vm, []types.PropertyChange{{Name: "config.hardware.device", Val: devices}})
}

// adapterOf names the VirtualDiskAdapterType of a disk's controller.
func adapterOf(devices []types.BaseVirtualDevice, disk *types.VirtualDisk) string {
	for _, d := range devices {
		if d.GetVirtualDevice().Key != disk.ControllerKey {
			continue
		}
		switch d.(type) {
		case *types.VirtualIDEController:
			return "ide"
		case *types.VirtualBusLogicController:
			return "busLogic"
		case *types.ParaVirtualSCSIController:
			return "paraVirtual"
		case *types.VirtualLsiLogicSASController:
			return "lsiLogicsas"
		}
	}
	return "lsiLogic"
}

// diskHost resolves a VM disk's file.
func diskHost(vm *simulator.VirtualMachine, fileName string) (*dsFile, types.BaseMethodFault) {
	return resolveDatastorePath(datacenterOf(vm), fileName, "fileName")
}

// realizeDisks gives every disk of the VM whose descriptor is missing or empty (made by the
// simulator) a real descriptor and a sparse extent of its capacity, and makes every disk device say
// what its file holds (capacity, parent chain, provisioning), as vSphere reports an attached disk.
func realizeDisks(vm *simulator.VirtualMachine) types.BaseMethodFault {
	devices := copyDevices(vm.Config.Hardware.Device)
	defer setDevices(vm, devices)
	for _, d := range disksOf(devices) {
		f, fault := diskHost(vm, d.backing.FileName)
		if fault != nil {
			return fault
		}
		if st, err := os.Stat(f.host); err == nil && st.Size() > 0 {
			pointDisk(d.disk, f.host)
			continue
		}
		// An empty descriptor is the simulator's new disk, or a disk it "replaced" (fileOperation
		// replace truncates the descriptor): the old extent goes with it.
		_ = os.Remove(f.host)
		_ = os.Remove(flatName(f.host))
		capacity := diskCapacity(d.disk)
		if capacity <= 0 {
			return &types.InvalidDeviceSpec{InvalidVmConfig: types.InvalidVmConfig{Property: "capacityInKB"}, DeviceIndex: int32(d.index)}
		}
		if err := createBaseDisk(f.host, capacity, adapterOf(devices, d.disk), diskTypeOfBacking(d.backing)); err != nil {
			return fileFault(d.backing.FileName, err)
		}
		pointDisk(d.disk, f.host)
	}
	return nil
}

// flatPlaceholders makes the empty "-flat" files that the simulator's disk code looks for next to
// delta disks named by a device change, and returns how to remove them again.
func flatPlaceholders(vm *simulator.VirtualMachine, dc *types.ManagedObjectReference, changes []types.BaseVirtualDeviceConfigSpec) func() {
	var made []string
	for _, ch := range changes {
		spec := ch.GetVirtualDeviceConfigSpec()
		disk, ok := spec.Device.(*types.VirtualDisk)
		if !ok || spec.FileOperation != "" {
			continue
		}
		b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
		if !ok {
			continue
		}
		f, fault := resolveDatastorePath(dc, b.GetVirtualDeviceFileBackingInfo().FileName, "fileName")
		if fault != nil {
			continue
		}
		if d, err := readDescriptor(f.host); err != nil || !d.isDelta() {
			continue
		}
		if _, err := os.Lstat(flatName(f.host)); err == nil {
			continue
		}
		if fh, err := os.OpenFile(flatName(f.host), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0600); err == nil {
			_ = fh.Close()
			made = append(made, flatName(f.host))
		}
	}
	return func() {
		for _, f := range made {
			_ = os.Remove(f)
		}
	}
}

// createVM realizes the disks of a new VM.
func createVM(c *soapCall) {
	req, ok := c.method.Body.(*types.CreateVM_Task)
	if !ok {
		c.send(c.forward())
		return
	}
	var dc *types.ManagedObjectReference
	if f := simulator.Map.Get(req.This); f != nil {
		dc = datacenterOf(f)
	}
	undo := flatPlaceholders(nil, dc, req.Config.DeviceChange)
	rec := c.forward()
	undo()
	if task, ok := diskTaskSucceeded(answerReturnval(rec)); ok {
		if ref, ok := task.Info.Result.(types.ManagedObjectReference); ok {
			if vm := vmOf(ref); vm != nil {
				var fault types.BaseMethodFault
				simulator.Map.WithLock(vm, func() { fault = realizeDisks(vm) })
				if fault != nil {
					destroyVM(vm)
					failDiskTask(&task.Self, fault)
				}
			}
		}
	}
	c.send(rec)
}

// destroyVM removes a VM that the file layer could not complete (no half-made VM is left).
func destroyVM(vm *simulator.VirtualMachine) {
	ctx := diskInternalContext()
	simulator.Map.WithLock(vm, func() {
		_ = vm.DestroyTask(ctx, &types.Destroy_Task{This: vm.Self})
	})
}

// reconfigVM refuses shrinking a disk, grows the file of a grown disk, and realizes new disks.
func reconfigVM(c *soapCall) {
	req, vm, ok := vmCall(c, func(r *types.ReconfigVM_Task) types.ManagedObjectReference { return r.This })
	if !ok {
		return
	}
	defer lockVMOps(vm)()
	type growth struct {
		file     string
		capacity int64
	}
	var grow []growth
	var refuse types.BaseMethodFault
	simulator.Map.WithLock(vm, func() {
		current := map[int32]*types.VirtualDisk{}
		for _, d := range disksOf(vm.Config.Hardware.Device) {
			current[d.disk.Key] = d.disk
		}
		for i, ch := range req.Spec.DeviceChange {
			spec := ch.GetVirtualDeviceConfigSpec()
			disk, ok := spec.Device.(*types.VirtualDisk)
			if !ok || spec.Operation != types.VirtualDeviceConfigSpecOperationEdit || spec.FileOperation != "" {
				continue // only a plain edit resizes; a replaced disk is made anew at its capacity
			}
			old := current[disk.Key]
			if old == nil {
				continue
			}
			newCap, oldCap := diskCapacity(disk), diskCapacity(old)
			if newCap == 0 || newCap == oldCap {
				continue
			}
			if newCap < oldCap {
				refuse = &types.InvalidDeviceOperation{
					InvalidDeviceSpec: types.InvalidDeviceSpec{DeviceIndex: int32(i)},
					BadOp:             types.VirtualDeviceConfigSpecOperationEdit,
				}
				return
			}
			b, ok := old.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
			if !ok {
				continue
			}
			f, fault := diskHost(vm, b.FileName)
			if fault != nil {
				continue
			}
			if d, err := readDescriptor(f.host); err == nil && d.isDelta() {
				// vSphere does not grow a disk that has snapshots.
				refuse = &types.NotSupported{}
				return
			}
			grow = append(grow, growth{f.host, newCap})
		}
	})
	if refuse != nil {
		c.answerFailedTask(vm, "reconfigVm", refuse)
		return
	}
	undo := flatPlaceholders(vm, datacenterOf(vm), req.Spec.DeviceChange)
	rec := c.forward()
	undo()
	if task, ok := diskTaskSucceeded(answerReturnval(rec)); ok {
		var fault types.BaseMethodFault
		simulator.Map.WithLock(vm, func() {
			for _, g := range grow {
				if err := extendDisk(g.file, g.capacity); err != nil {
					fault = fileFault(g.file, err)
					return
				}
			}
			fault = realizeDisks(vm)
		})
		if fault != nil {
			failDiskTask(&task.Self, fault)
		}
	}
	c.send(rec)
}

// backingChain builds the parent backings of a delta disk from its descriptors.
func backingChain(host string, ds *simulator.Datastore) *types.VirtualDiskFlatVer2BackingInfo {
	d, err := readDescriptor(host)
	if err != nil || !d.isDelta() {
		return nil
	}
	parentHost := resolveParent(host, d.ParentHint)
	pd, err := readDescriptor(parentHost)
	if err != nil {
		return nil
	}
	b := &types.VirtualDiskFlatVer2BackingInfo{
		VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: datastorePathOf(parentHost, ds)},
		DiskMode:                     string(types.VirtualDiskModePersistent),
		ThinProvisioned:              types.NewBool(pd.diskType() == "thin"),
		EagerlyScrub:                 types.NewBool(pd.diskType() == "eagerZeroedThick"),
		ContentId:                    pd.CID,
	}
	if pds := datastoreOfHost(parentHost); pds != nil {
		ref := pds.Self
		b.Datastore = &ref
	}
	b.Parent = backingChain(parentHost, ds)
	return b
}

// datastoreOfHost finds the datastore whose folder holds a host path.
func datastoreOfHost(host string) *simulator.Datastore {
	for _, obj := range simulator.Map.All("Datastore") {
		if ds, ok := obj.(*simulator.Datastore); ok {
			root := ds.Info.GetDatastoreInfo().Url
			if strings.HasPrefix(host, root+string(filepath.Separator)) {
				return ds
			}
		}
	}
	return nil
}

// pointDisk sets a disk's backing to the disk at host (its file name, parent chain and capacity).
func pointDisk(disk *types.VirtualDisk, host string) {
	ds := datastoreOfHost(host)
	b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok || ds == nil {
		return
	}
	nb := *b
	nb.FileName = datastorePathOf(host, ds)
	ref := ds.Self
	nb.Datastore = &ref
	nb.Parent = backingChain(host, ds)
	if d, err := readDescriptor(host); err == nil {
		nb.ContentId = d.CID
		if !d.isDelta() {
			nb.ThinProvisioned = types.NewBool(d.diskType() == "thin")
			nb.EagerlyScrub = types.NewBool(d.diskType() == "eagerZeroedThick")
		}
		disk.CapacityInBytes = d.capacity()
		disk.CapacityInKB = d.capacity() / 1024
	}
	disk.Backing = &nb
}

// cloneVM fixes up the simulator's clone: the source keeps its devices, and the clone's disks get
// the contents the disk move type asks for.
func cloneVM(c *soapCall) {
	req, vm, ok := vmCall(c, func(r *types.CloneVM_Task) types.ManagedObjectReference { return r.This })
	if !ok {
		return
	}
	// Held from reading the source's devices until they are put back; filling the clone's disks
	// needs only the clone's lock.
	unlock := lockVMOps(vm)
	// The source's disks as the clone must see them: the VM's current disks or the snapshot's.
	sources := map[types.BaseVirtualDevice]string{} // the source's device object -> host path of its disk
	var saved []types.BaseVirtualDevice
	var fault types.BaseMethodFault
	simulator.Map.WithLock(vm, func() {
		devices := vm.Config.Hardware.Device
		saved = copyDevices(devices)
		var snapFiles map[int32]string
		if req.Spec.Snapshot != nil {
			if snapFiles = snapshotDiskFiles(*req.Spec.Snapshot); snapFiles == nil {
				fault = &types.InvalidArgument{InvalidProperty: "spec.snapshot"}
				return
			}
		}
		for _, d := range disksOf(devices) {
			f, ff := diskHost(vm, d.backing.FileName)
			if ff != nil {
				fault = ff
				return
			}
			host := f.host
			if snapFiles != nil {
				if s, ok := snapFiles[d.disk.Key]; ok {
					host = s
				}
			}
			sources[devices[d.index]] = host
		}
	})
	if fault != nil {
		unlock()
		c.answerFailedTask(vm, "cloneVm", fault)
		return
	}
	rec := c.forward()
	// Whatever happened, the source keeps its own devices (the simulator edited the shared ones).
	simulator.Map.WithLock(vm, func() { setDevices(vm, saved) })
	unlock()
	task, ok := diskTaskSucceeded(answerReturnval(rec))
	if !ok {
		c.send(rec)
		return
	}
	ref, _ := task.Info.Result.(types.ManagedObjectReference)
	clone := vmOf(ref)
	if clone == nil {
		c.send(rec)
		return
	}
	simulator.Map.WithLock(clone, func() { fault = fillClone(clone, req, sources) })
	if fault != nil {
		destroyVM(clone)
		failDiskTask(&task.Self, fault)
	}
	c.send(rec)
}

// moveTypeOf is the disk move type for one disk of a clone or relocation.
func moveTypeOf(spec *types.VirtualMachineRelocateSpec, key int32) (moveType string, locator *types.VirtualMachineRelocateSpecDiskLocator) {
	moveType = spec.DiskMoveType
	for i := range spec.Disk {
		if spec.Disk[i].DiskId == key {
			locator = &spec.Disk[i]
			if locator.DiskMoveType != "" {
				moveType = locator.DiskMoveType
			}
		}
	}
	return moveType, locator
}

// locatorDiskType is the disk type a locator's backing asks for ("" for unchanged).
func locatorDiskType(l *types.VirtualMachineRelocateSpecDiskLocator) string {
	if l == nil || l.DiskBackingInfo == nil {
		return ""
	}
	if b, ok := l.DiskBackingInfo.(*types.VirtualDiskFlatVer2BackingInfo); ok {
		switch {
		case b.ThinProvisioned != nil && *b.ThinProvisioned:
			return "thin"
		case b.EagerlyScrub != nil && *b.EagerlyScrub:
			return "eagerZeroedThick"
		default:
			return "preallocated"
		}
	}
	return ""
}

// fillClone gives the clone's disks (empty files made by the simulator) their contents.
func fillClone(clone *simulator.VirtualMachine, req *types.CloneVM_Task, sources map[types.BaseVirtualDevice]string) types.BaseMethodFault {
	devices := clone.Config.Hardware.Device
	var made []string
	fail := func(f types.BaseMethodFault) types.BaseMethodFault {
		for _, m := range made {
			_ = deleteDiskFiles(m)
		}
		return f
	}
	for _, d := range disksOf(devices) {
		src, ok := sources[devices[d.index]]
		if !ok {
			continue // a disk the clone spec added
		}
		target, fault := diskHost(clone, d.backing.FileName)
		if fault != nil {
			return fail(fault)
		}
		moveType, locator := moveTypeOf(&req.Spec.Location, d.disk.Key)
		if locator != nil {
			if ds, ok := simulator.Map.Get(locator.Datastore).(*simulator.Datastore); ok && ds.Self != target.ds.Self {
				p := object.DatastorePath{Datastore: ds.Name, Path: target.path.Path}
				_ = deleteDiskFiles(target.host)
				if target, fault = resolveDatastorePath(datacenterOf(clone), p.String(), "datastore"); fault != nil {
					return fail(fault)
				}
			}
		}
		_ = deleteDiskFiles(target.host) // the empty files the simulator made
		var err error
		switch types.VirtualMachineRelocateDiskMoveOptions(moveType) {
		case types.VirtualMachineRelocateDiskMoveOptionsCreateNewChildDiskBacking:
			err = createDeltaDisk(target.host, src, target.root())
		case types.VirtualMachineRelocateDiskMoveOptionsMoveChildMostDiskBacking:
			err = copyDiskAsIs(src, target.host, target.root())
		default:
			err = copyDiskFlat(src, target.host, "", locatorDiskType(locator))
		}
		if err != nil {
			return fail(fileFault(d.backing.FileName, err))
		}
		made = append(made, target.host)
		nd := copyDevice(devices[d.index]).(*types.VirtualDisk)
		pointDisk(nd, target.host)
		devices[d.index] = nd
	}
	setDevices(clone, devices)
	return nil
}

// relocateVM moves a VM's files when the relocation names another datastore.
func relocateVM(c *soapCall) {
	req, vm, ok := vmCall(c, func(r *types.RelocateVM_Task) types.ManagedObjectReference { return r.This })
	if !ok {
		return
	}
	defer lockVMOps(vm)()
	if req.Spec.Datastore == nil {
		c.send(c.forward())
		return
	}
	target, ok := simulator.Map.Get(*req.Spec.Datastore).(*simulator.Datastore)
	if !ok {
		c.send(c.forward())
		return
	}
	rec := c.forward()
	if task, ok := diskTaskSucceeded(answerReturnval(rec)); ok {
		var fault types.BaseMethodFault
		simulator.Map.WithLock(vm, func() { fault = moveVMFiles(vm, target, &req.Spec) })
		if fault != nil {
			failDiskTask(&task.Self, fault)
		}
		// Other VMs' devices are refreshed with this VM's lock released (one lock at a time).
		relocated.Lock()
		relinked := relocated.relinked
		relocated.relinked = nil
		relocated.Unlock()
		refreshDisksUsing(relinked, vm)
	}
	c.send(rec)
}

// relocateMu serialises relocations (they move folders).
var relocateMu sync.Mutex

// relocated collects the deltas of other VMs whose parent links a relocation rewrote.
var relocated struct {
	sync.Mutex
	relinked []string
}

// moveVMFiles moves the VM's folder to the target datastore: its own disks move with their delta
// chains where the chain lies in the folder; a disk whose parents lie elsewhere (a linked clone) keeps
// sharing them when the move type allows sharing, and is consolidated into a new base disk otherwise.
func moveVMFiles(vm *simulator.VirtualMachine, target *simulator.Datastore, spec *types.VirtualMachineRelocateSpec) types.BaseMethodFault {
	relocateMu.Lock()
	defer relocateMu.Unlock()
	var vmx object.DatastorePath
	if !vmx.FromString(vm.Config.Files.VmPathName) {
		return &types.InvalidDatastorePath{DatastorePath: vm.Config.Files.VmPathName}
	}
	if vmx.Datastore == target.Name {
		return nil
	}
	src, fault := diskHost(vm, vm.Config.Files.VmPathName)
	if fault != nil {
		return fault
	}
	srcDir := filepath.Dir(src.host)
	relDir := path.Dir(vmx.Path)
	dstDir := filepath.Join(target.Info.GetDatastoreInfo().Url, filepath.FromSlash(relDir))
	if _, err := os.Stat(dstDir); err == nil {
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: (&object.DatastorePath{Datastore: target.Name, Path: relDir}).String()}}
	}
	inDir := func(host string) bool { return strings.HasPrefix(host, srcDir+string(filepath.Separator)) }
	devices := copyDevices(vm.Config.Hardware.Device)

	// Disks whose chain leaves the folder, when sharing is not allowed (or a new disk type is asked
	// for), become new base disks in the target folder first.
	if err := os.MkdirAll(dstDir, 0700); err != nil {
		return fileFault(relDir, err)
	}
	consolidated := map[int]string{}
	for _, d := range disksOf(devices) {
		f, fault := diskHost(vm, d.backing.FileName)
		if fault != nil {
			return fault
		}
		moveType, locator := moveTypeOf(spec, d.disk.Key)
		shared := false
		if c, err := openDiskChain(f.host); err == nil {
			for _, l := range c.layers {
				if !inDir(l.desc) {
					shared = true
				}
			}
			c.Close()
		}
		allowSharing := moveType == string(types.VirtualMachineRelocateDiskMoveOptionsMoveAllDiskBackingsAndAllowSharing) ||
			moveType == string(types.VirtualMachineRelocateDiskMoveOptionsMoveChildMostDiskBacking)
		if (shared && !allowSharing) || locatorDiskType(locator) != "" || !inDir(f.host) {
			dst := filepath.Join(dstDir, filepath.Base(f.host))
			if err := copyDiskFlat(f.host, dst, "", locatorDiskType(locator)); err != nil {
				_ = os.RemoveAll(dstDir)
				return fileFault(d.backing.FileName, err)
			}
			consolidated[d.index] = dst
		}
	}
	// Everything else in the folder moves as it is; delta parents outside it are re-pointed.
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		_ = os.RemoveAll(dstDir)
		return fileFault(relDir, err)
	}
	consolidatedNames := map[string]bool{}
	for _, dst := range consolidated {
		consolidatedNames[filepath.Base(dst)] = true
		consolidatedNames[filepath.Base(flatName(dst))] = true
		consolidatedNames[filepath.Base(deltaName(dst))] = true
	}
	// Deltas elsewhere (linked clones of this VM's disks) must find their parents at the new place.
	outsideChildren := map[string][]string{}
	for _, e := range entries {
		from := filepath.Join(srcDir, e.Name())
		if strings.HasSuffix(from, ".vmdk") && !consolidatedNames[e.Name()] {
			for _, child := range childrenOf(from) {
				if !inDir(child) {
					outsideChildren[from] = append(outsideChildren[from], child)
				}
			}
		}
	}
	for _, e := range entries {
		if consolidatedNames[e.Name()] {
			continue
		}
		from, to := filepath.Join(srcDir, e.Name()), filepath.Join(dstDir, e.Name())
		if d, err := readDescriptor(from); err == nil && d.isDelta() {
			parent := resolveParent(from, d.ParentHint)
			if inDir(parent) {
				parent = filepath.Join(dstDir, strings.TrimPrefix(parent, srcDir+string(filepath.Separator)))
			}
			d.ParentHint = parentHintFor(to, parent, target.Info.GetDatastoreInfo().Url)
			if err := writeDescriptor(to, d); err != nil {
				return fileFault(relDir, err)
			}
			continue
		}
		if err := renameOrCopy(from, to); err != nil {
			return fileFault(relDir, err)
		}
	}
	_ = os.RemoveAll(srcDir)
	var relinked []string
	for from, children := range outsideChildren {
		relinked = append(relinked, children...)
		to := filepath.Join(dstDir, filepath.Base(from))
		for _, child := range children {
			if d, err := readDescriptor(child); err == nil {
				root := ""
				if ds := datastoreOfHost(child); ds != nil {
					root = ds.Info.GetDatastoreInfo().Url
				}
				d.ParentHint = parentHintFor(child, to, root)
				_ = writeDescriptor(child, d)
			}
		}
	}

	// The VM's paths follow.
	move := func(p string) string {
		var dp object.DatastorePath
		if dp.FromString(p) && dp.Datastore == vmx.Datastore && (dp.Path == relDir || strings.HasPrefix(dp.Path, relDir+"/")) {
			dp.Datastore = target.Name
			return dp.String()
		}
		return p
	}
	for _, d := range disksOf(devices) {
		host := consolidated[d.index]
		if host == "" {
			var dp object.DatastorePath
			dp.FromString(move(d.backing.FileName))
			host = filepath.Join(target.Info.GetDatastoreInfo().Url, filepath.FromSlash(dp.Path))
		}
		pointDisk(d.disk, host)
	}
	files := vm.Config.Files
	files.VmPathName, files.LogDirectory = move(files.VmPathName), move(files.LogDirectory)
	files.SnapshotDirectory, files.SuspendDirectory = move(files.SnapshotDirectory), move(files.SuspendDirectory)
	moveSnapshotRecords(srcDir, dstDir)
	relocated.Lock()
	relocated.relinked = append(relocated.relinked, relinked...)
	relocated.Unlock()
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "config.hardware.device", Val: devices},
		{Name: "config.files", Val: files},
		{Name: "summary.config.vmPathName", Val: files.VmPathName},
		{Name: "datastore", Val: []types.ManagedObjectReference{target.Self}},
	})
	if ds, ok := simulator.Map.Get(target.Self).(*simulator.Datastore); ok {
		simulator.Map.WithLock(ds, func() {
			if simulator.FindReference(ds.Vm, vm.Self) == nil {
				ds.Vm = append(ds.Vm, vm.Self)
			}
		})
	}
	return nil
}

// refreshDisksUsing re-reads the backing of every disk (of VMs other than `except`) whose chain
// contains one of the given descriptors, after their parent links were rewritten. It takes one VM's
// lock at a time: call it holding none.
func refreshDisksUsing(descs []string, except *simulator.VirtualMachine) {
	if len(descs) == 0 {
		return
	}
	changed := map[string]bool{}
	for _, d := range descs {
		changed[d] = true
	}
	for _, obj := range simulator.Map.All("VirtualMachine") {
		other, ok := obj.(*simulator.VirtualMachine)
		if !ok || other == except || other.Config == nil {
			continue
		}
		simulator.Map.WithLock(other, func() {
			devices := copyDevices(other.Config.Hardware.Device)
			touched := false
			for _, d := range disksOf(devices) {
				f, fault := diskHost(other, d.backing.FileName)
				if fault != nil {
					continue
				}
				c, err := openDiskChain(f.host)
				if err != nil {
					continue
				}
				for _, l := range c.layers {
					if changed[l.desc] {
						touched = true
						pointDisk(d.disk, f.host)
						break
					}
				}
				c.Close()
			}
			if touched {
				setDevices(other, devices)
			}
		})
	}
}
