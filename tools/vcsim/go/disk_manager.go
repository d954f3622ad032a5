// Gap filled: govmomi 0.24's VirtualDiskManager makes two empty files whatever the size and type,
// copies, moves and deletes whatever files sit at the two names, and has no ExtendVirtualDisk_Task,
// InflateVirtualDisk_Task, EagerZeroVirtualDisk_Task or QueryVirtualDiskInfo_Task.
//
// diskManager embeds the simulator's VirtualDiskManager and is put back into the registry under the
// same reference (the registry hands it out through an interface, so the simulator's own callers,
// such as a VM's disk removal, reach it too). Every method works on the representation of disk.go:
// create honours capacity, disk type and adapter type; copy consolidates a chain into a new base disk
// (or honours destSpec); move renames a disk's files and keeps its parent link right; extend grows and
// refuses to shrink with the fault vCenter returns (InvalidArgument on newCapacityKb); inflate turns a
// thin disk thick; QueryVirtualDiskInfo_Task (vSphere's internal method, as govmomi's object package
// calls it) lists a disk and, on request, its parents; QueryVirtualDiskUuid and SetVirtualDiskUuid
// read and write the descriptor's ddb.uuid (the simulator hashed the path and kept nothing).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type diskManager struct {
	simulator.VirtualDiskManager
}

func init() {
	types.Add("QueryVirtualDiskInfo_Task", reflect.TypeOf((*queryVirtualDiskInfoRequest)(nil)).Elem())
	beforeServe = append(beforeServe, func(m *simulator.Model) error {
		vdm := simulator.Map.VirtualDiskManager()
		orig, ok := vdm.(*simulator.VirtualDiskManager)
		if !ok {
			return fmt.Errorf("the VirtualDiskManager is a %T", vdm)
		}
		simulator.Map.Put(&diskManager{VirtualDiskManager: *orig})
		return realizeModelDisks()
	})
}

// dsFile is a datastore path resolved to the host.
type dsFile struct {
	path object.DatastorePath
	ds   *simulator.Datastore
	host string // absolute host path
}

func (f *dsFile) root() string { return f.ds.Info.GetDatastoreInfo().Url }

// defaultDatacenter is the datacenter a call without one means: the only one on ESX.
func defaultDatacenter() *types.ManagedObjectReference {
	if simulator.Map.IsESX() {
		ref := esx.Datacenter.Self
		return &ref
	}
	return nil
}

// resolveDatastorePath resolves "[ds] dir/file" in a datacenter to a host path inside that
// datastore's folder. `property` names the argument in faults.
func resolveDatastorePath(dc *types.ManagedObjectReference, name, property string) (*dsFile, types.BaseMethodFault) {
	var p object.DatastorePath
	if !p.FromString(name) || p.Datastore == "" {
		return nil, &types.InvalidDatastorePath{DatastorePath: name}
	}
	if dc == nil {
		dc = defaultDatacenter()
	}
	if dc == nil {
		return nil, &types.InvalidArgument{InvalidProperty: "datacenter"}
	}
	d, ok := simulator.Map.Get(*dc).(*simulator.Datacenter)
	if !ok {
		return nil, &types.ManagedObjectNotFound{Obj: *dc}
	}
	ds, ok := simulator.Map.FindByName(p.Datastore, d.Datastore).(*simulator.Datastore)
	if !ok || ds == nil {
		return nil, &types.InvalidDatastore{Name: p.Datastore}
	}
	root := ds.Info.GetDatastoreInfo().Url
	host := filepath.Join(root, filepath.FromSlash(p.Path))
	if host != root && !strings.HasPrefix(host, root+string(filepath.Separator)) {
		return nil, &types.InvalidDatastorePath{DatastorePath: name}
	}
	return &dsFile{path: p, ds: ds, host: host}, nil
}

// diskPath checks that a name is a disk descriptor path.
func resolveDiskPath(dc *types.ManagedObjectReference, name, property string) (*dsFile, types.BaseMethodFault) {
	f, fault := resolveDatastorePath(dc, name, property)
	if fault != nil {
		return nil, fault
	}
	if !strings.HasSuffix(f.path.Path, ".vmdk") || strings.HasSuffix(f.path.Path, "-flat.vmdk") || strings.HasSuffix(f.path.Path, "-delta.vmdk") {
		return nil, &types.InvalidArgument{InvalidProperty: property}
	}
	return f, nil
}

// fileFault turns a host error into the FileFault vSphere returns, naming the datastore path.
func fileFault(name string, err error) types.BaseMethodFault {
	switch {
	case os.IsNotExist(err):
		return &types.FileNotFound{FileFault: types.FileFault{File: name}}
	case os.IsExist(err):
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: name}}
	}
	if e, ok := err.(*errExists); ok {
		_ = e
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: name}}
	}
	if err == errShrink {
		return &types.InvalidArgument{InvalidProperty: "newCapacityKb"}
	}
	return fileFaultWithReason(name, err.Error())
}

// existingDisk checks that a disk exists and is one of ours.
func existingDisk(f *dsFile, name string) (*diskDescriptor, types.BaseMethodFault) {
	if _, err := os.Stat(f.host); err != nil {
		return nil, fileFault(name, err)
	}
	d, err := readDescriptor(f.host)
	if err != nil {
		return nil, fileFaultWithReason(name, err.Error())
	}
	return d, nil
}

// namedDisk resolves a request's disk "name" (a "[ds] path.vmdk" in datacenter dc) and reads the
// descriptor of the disk that must exist there.
func namedDisk(dc *types.ManagedObjectReference, name string) (*dsFile, *diskDescriptor, types.BaseMethodFault) {
	f, fault := resolveDiskPath(dc, name, "name")
	if fault != nil {
		return nil, nil, fault
	}
	d, fault := existingDisk(f, name)
	if fault != nil {
		return nil, nil, fault
	}
	return f, d, nil
}

var knownDiskTypes = map[string]bool{"thin": true, "preallocated": true, "thick": true, "eagerZeroedThick": true}

func diskSpecOf(spec types.BaseVirtualDiskSpec) (capacityKb int64, adapter, diskType string, fault types.BaseMethodFault) {
	if spec == nil {
		return 0, "", "", &types.InvalidArgument{InvalidProperty: "spec"}
	}
	s := spec.GetVirtualDiskSpec()
	if !knownDiskTypes[s.DiskType] {
		return 0, "", "", &types.InvalidArgument{InvalidProperty: "spec.diskType"}
	}
	if fb, ok := spec.(*types.FileBackedVirtualDiskSpec); ok {
		capacityKb = fb.CapacityKb
	}
	return capacityKb, s.AdapterType, s.DiskType, nil
}

func (m *diskManager) CreateVirtualDiskTask(ctx *simulator.Context, req *types.CreateVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "createVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, fault := resolveDiskPath(req.Datacenter, req.Name, "name")
		if fault != nil {
			return nil, fault
		}
		capacityKb, adapter, diskType, fault := diskSpecOf(req.Spec)
		if fault != nil {
			return nil, fault
		}
		if _, ok := req.Spec.(*types.FileBackedVirtualDiskSpec); !ok || capacityKb <= 0 {
			return nil, &types.InvalidArgument{InvalidProperty: "spec.capacityKb"}
		}
		if err := createBaseDisk(f.host, capacityKb*1024, adapter, diskType); err != nil {
			return nil, fileFault(req.Name, err)
		}
		return req.Name, nil
	})
	return &methods.CreateVirtualDisk_TaskBody{Res: &types.CreateVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

// deleteDiskFiles removes a disk's descriptor and extent. A descriptor that is not one (an empty file
// left by the simulator's own code) goes with its "-flat" name, as the simulator made them.
func deleteDiskFiles(host string) error {
	files, _, err := diskFiles(host)
	if err != nil {
		if _, serr := os.Stat(host); serr != nil {
			return serr
		}
		files = []string{host, flatName(host)}
	}
	for _, file := range files {
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func (m *diskManager) DeleteVirtualDiskTask(ctx *simulator.Context, req *types.DeleteVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "deleteVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, fault := resolveDiskPath(req.Datacenter, req.Name, "name")
		if fault != nil {
			return nil, fault
		}
		if err := deleteDiskFiles(f.host); err != nil {
			return nil, fileFault(req.Name, err)
		}
		return nil, nil
	})
	return &methods.DeleteVirtualDisk_TaskBody{Res: &types.DeleteVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

// srcDst resolves a source and a destination disk path; the destination datacenter defaults to the
// source's, as vCenter does.
func srcDst(srcDC *types.ManagedObjectReference, src string, dstDC *types.ManagedObjectReference, dst string) (*dsFile, *dsFile, types.BaseMethodFault) {
	if dstDC == nil {
		dstDC = srcDC
	}
	s, fault := resolveDiskPath(srcDC, src, "sourceName")
	if fault != nil {
		return nil, nil, fault
	}
	d, fault := resolveDiskPath(dstDC, dst, "destName")
	if fault != nil {
		return nil, nil, fault
	}
	if s.host == d.host {
		return nil, nil, &types.InvalidArgument{InvalidProperty: "destName"}
	}
	return s, d, nil
}

// clearDestination makes room for a disk at dst: refused unless force.
func clearDestination(d *dsFile, name string, force *bool) types.BaseMethodFault {
	if _, err := os.Lstat(d.host); err != nil {
		return nil
	}
	if force == nil || !*force {
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: name}}
	}
	if err := deleteDiskFiles(d.host); err != nil {
		return fileFault(name, err)
	}
	return nil
}

func (m *diskManager) CopyVirtualDiskTask(ctx *simulator.Context, req *types.CopyVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "copyVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		s, d, fault := srcDst(req.SourceDatacenter, req.SourceName, req.DestDatacenter, req.DestName)
		if fault != nil {
			return nil, fault
		}
		if _, fault := existingDisk(s, req.SourceName); fault != nil {
			return nil, fault
		}
		var adapter, diskType string
		if req.DestSpec != nil {
			if _, adapter, diskType, fault = diskSpecOf(req.DestSpec); fault != nil {
				return nil, fault
			}
		}
		if fault := clearDestination(d, req.DestName, req.Force); fault != nil {
			return nil, fault
		}
		if err := copyDiskFlat(s.host, d.host, adapter, diskType); err != nil {
			return nil, fileFault(req.DestName, err)
		}
		return req.DestName, nil
	})
	return &methods.CopyVirtualDisk_TaskBody{Res: &types.CopyVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

// moveDisk renames a disk's descriptor and extent, rewriting the descriptor's extent name and,
// for a delta, its parent hint (relative to the new folder).
func moveDisk(src, dst, dstRoot string) error {
	files, d, err := diskFiles(src)
	if err != nil {
		return err
	}
	newExtent := flatName(dst)
	if d.isDelta() {
		newExtent = deltaName(dst)
		d.ParentHint = parentHintFor(dst, resolveParent(src, d.ParentHint), dstRoot)
	}
	if _, err := os.Lstat(newExtent); err == nil {
		return &errExists{newExtent}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0700); err != nil {
		return err
	}
	d.Extent = filepath.Base(newExtent)
	if err := writeDescriptor(dst, d); err != nil {
		return err
	}
	if err := renameOrCopy(files[1], newExtent); err != nil {
		_ = os.Remove(dst)
		return err
	}
	return os.Remove(src)
}

// renameOrCopy renames a file, copying it sparsely when the rename crosses file systems.
func renameOrCopy(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	if err := copySparseFile(src, dst); err != nil {
		_ = os.Remove(dst)
		return err
	}
	return os.Remove(src)
}

func (m *diskManager) MoveVirtualDiskTask(ctx *simulator.Context, req *types.MoveVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "moveVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		s, d, fault := srcDst(req.SourceDatacenter, req.SourceName, req.DestDatacenter, req.DestName)
		if fault != nil {
			return nil, fault
		}
		if _, fault := existingDisk(s, req.SourceName); fault != nil {
			return nil, fault
		}
		if fault := clearDestination(d, req.DestName, req.Force); fault != nil {
			return nil, fault
		}
		if err := moveDisk(s.host, d.host, d.root()); err != nil {
			return nil, fileFault(req.DestName, err)
		}
		return req.DestName, nil
	})
	return &methods.MoveVirtualDisk_TaskBody{Res: &types.MoveVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

func (m *diskManager) ExtendVirtualDiskTask(ctx *simulator.Context, req *types.ExtendVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "extendVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, d, fault := namedDisk(req.Datacenter, req.Name)
		if fault != nil {
			return nil, fault
		}
		if d.isDelta() {
			// vSphere does not extend a disk that has snapshots (its top is a delta).
			return nil, &types.NotSupported{}
		}
		if req.NewCapacityKb <= 0 {
			return nil, &types.InvalidArgument{InvalidProperty: "newCapacityKb"}
		}
		if err := extendDisk(f.host, req.NewCapacityKb*1024); err != nil {
			return nil, fileFault(req.Name, err)
		}
		if req.EagerZero != nil && *req.EagerZero && d.diskType() == "thin" {
			_ = inflateDisk(f.host)
		}
		return nil, nil
	})
	return &methods.ExtendVirtualDisk_TaskBody{Res: &types.ExtendVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

func (m *diskManager) InflateVirtualDiskTask(ctx *simulator.Context, req *types.InflateVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "inflateVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, d, fault := namedDisk(req.Datacenter, req.Name)
		if fault != nil {
			return nil, fault
		}
		if d.isDelta() {
			return nil, &types.NotSupported{}
		}
		if err := inflateDisk(f.host); err != nil {
			return nil, fileFault(req.Name, err)
		}
		return nil, nil
	})
	return &methods.InflateVirtualDisk_TaskBody{Res: &types.InflateVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

func (m *diskManager) EagerZeroVirtualDiskTask(ctx *simulator.Context, req *types.EagerZeroVirtualDisk_Task) soap.HasFault {
	task := simulator.CreateTask(m, "eagerZeroVirtualDisk", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, _, fault := namedDisk(req.Datacenter, req.Name)
		if fault != nil {
			return nil, fault
		}
		if err := inflateDisk(f.host); err != nil {
			return nil, fileFault(req.Name, err)
		}
		return nil, nil
	})
	return &methods.EagerZeroVirtualDisk_TaskBody{Res: &types.EagerZeroVirtualDisk_TaskResponse{Returnval: task.Run()}}
}

// queryVirtualDiskInfoRequest is vSphere's internal QueryVirtualDiskInfo_Task (urn:internalvim25),
// in the shape govmomi's object.VirtualDiskManager.QueryVirtualDiskInfo sends it.
type queryVirtualDiskInfoRequest struct {
	This           types.ManagedObjectReference  `xml:"_this"`
	Name           string                        `xml:"name"`
	Datacenter     *types.ManagedObjectReference `xml:"datacenter,omitempty"`
	IncludeParents bool                          `xml:"includeParents"`
}

// QueryVirtualDiskInfo_TaskResponse is named as the wire element (the simulator encodes the Go
// type's name).
type QueryVirtualDiskInfo_TaskResponse struct { //nolint:revive
	Returnval types.ManagedObjectReference `xml:"returnval"`
}

type queryVirtualDiskInfoBody struct {
	Res    *QueryVirtualDiskInfo_TaskResponse `xml:"QueryVirtualDiskInfo_TaskResponse,omitempty"`
	Fault_ *soap.Fault                        `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *queryVirtualDiskInfoBody) Fault() *soap.Fault { return b.Fault_ }

// VirtualDiskInfo is one disk of a QueryVirtualDiskInfo_Task result (type named as on the wire).
type VirtualDiskInfo struct {
	Name     string `xml:"unit>name"`
	DiskType string `xml:"diskType"`
	Parent   string `xml:"parent,omitempty"`
}

// ArrayOfVirtualDiskInfo is the task's result (type named as on the wire).
type ArrayOfVirtualDiskInfo struct {
	VirtualDiskInfo []VirtualDiskInfo `xml:"VirtualDiskInfo,omitempty"`
}

// datastorePathOf turns a host path back into "[ds] path" when it lies in that datastore.
func datastorePathOf(host string, ds *simulator.Datastore) string {
	root := ds.Info.GetDatastoreInfo().Url
	if rel, err := filepath.Rel(root, host); err == nil && !strings.HasPrefix(rel, "..") {
		return (&object.DatastorePath{Datastore: ds.Name, Path: filepath.ToSlash(rel)}).String()
	}
	for _, obj := range simulator.Map.All("Datastore") {
		if other, ok := obj.(*simulator.Datastore); ok && other != ds {
			r := other.Info.GetDatastoreInfo().Url
			if rel, err := filepath.Rel(r, host); err == nil && !strings.HasPrefix(rel, "..") {
				return (&object.DatastorePath{Datastore: other.Name, Path: filepath.ToSlash(rel)}).String()
			}
		}
	}
	return host
}

func (m *diskManager) QueryVirtualDiskInfoTask(ctx *simulator.Context, req *queryVirtualDiskInfoRequest) soap.HasFault {
	task := simulator.CreateTask(m, "queryVirtualDiskInfo", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		f, _, fault := namedDisk(req.Datacenter, req.Name)
		if fault != nil {
			return nil, fault
		}
		var out ArrayOfVirtualDiskInfo
		cur := f.host
		for i := 0; i < maxChain; i++ {
			d, err := readDescriptor(cur)
			if err != nil {
				return nil, fileFault(req.Name, err)
			}
			info := VirtualDiskInfo{Name: datastorePathOf(cur, f.ds), DiskType: d.diskType()}
			if d.isDelta() {
				info.DiskType = "delta"
				info.Parent = datastorePathOf(resolveParent(cur, d.ParentHint), f.ds)
			}
			out.VirtualDiskInfo = append(out.VirtualDiskInfo, info)
			if !d.isDelta() || !req.IncludeParents {
				break
			}
			cur = resolveParent(cur, d.ParentHint)
		}
		return out, nil
	})
	return &queryVirtualDiskInfoBody{Res: &QueryVirtualDiskInfo_TaskResponse{Returnval: task.Run()}}
}

// realizeModelDisks gives the disks of the model's VMs (empty files made by the simulator at start-up)
// real descriptors and sparse extents of their capacity.
func realizeModelDisks() error {
	for _, obj := range simulator.Map.All("VirtualMachine") {
		vm, ok := obj.(*simulator.VirtualMachine)
		if !ok || vm.Config == nil {
			continue
		}
		dc := datacenterOf(vm)
		for _, dev := range vm.Config.Hardware.Device {
			disk, ok := dev.(*types.VirtualDisk)
			if !ok {
				continue
			}
			b, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
			if !ok {
				continue
			}
			name := b.GetVirtualDeviceFileBackingInfo().FileName
			f, fault := resolveDiskPath(dc, name, "fileName")
			if fault != nil {
				continue
			}
			if st, err := os.Stat(f.host); err == nil && st.Size() > 0 {
				continue
			}
			_ = os.Remove(f.host)
			_ = os.Remove(flatName(f.host))
			if err := createBaseDisk(f.host, diskCapacity(disk), "lsiLogic", diskTypeOfBacking(disk.Backing)); err != nil {
				return fmt.Errorf("disk %s: %v", name, err)
			}
		}
	}
	return nil
}

func diskCapacity(disk *types.VirtualDisk) int64 {
	if disk.CapacityInBytes > 0 {
		return disk.CapacityInBytes
	}
	return disk.CapacityInKB * 1024
}

func diskTypeOfBacking(b types.BaseVirtualDeviceBackingInfo) string {
	if fb, ok := b.(*types.VirtualDiskFlatVer2BackingInfo); ok {
		if fb.ThinProvisioned != nil && *fb.ThinProvisioned {
			return "thin"
		}
		if fb.EagerlyScrub != nil && *fb.EagerlyScrub {
			return "eagerZeroedThick"
		}
	}
	return "preallocated"
}

// datacenterOf finds the datacenter above an inventory object.
func datacenterOf(e mo.Reference) *types.ManagedObjectReference {
	ref := e.Reference()
	for i := 0; i < 64; i++ {
		switch obj := simulator.Map.Get(ref).(type) {
		case *simulator.Datacenter:
			r := obj.Self
			return &r
		case mo.Entity:
			parent := obj.Entity().Parent
			if parent == nil {
				return defaultDatacenter()
			}
			ref = *parent
		default:
			return defaultDatacenter()
		}
	}
	return nil
}

// fileFaultWithReason is a generic FileFault whose message says what went wrong.
func fileFaultWithReason(name, reason string) types.BaseMethodFault {
	f := &types.FileFault{File: name}
	f.FaultMessage = []types.LocalizableMessage{{Key: "vmkit.disk.error", Message: reason}}
	return f
}

// QueryVirtualDiskUuid answers the descriptor's ddb.uuid, so that a disk's UUID follows it through a
// move (the simulator hashed the path).
func (m *diskManager) QueryVirtualDiskUuid(ctx *simulator.Context, req *types.QueryVirtualDiskUuid) soap.HasFault {
	body := &methods.QueryVirtualDiskUuidBody{}
	_, d, fault := namedDisk(req.Datacenter, req.Name)
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	body.Res = &types.QueryVirtualDiskUuidResponse{Returnval: d.DDB["ddb.uuid"]}
	return body
}

// uuidText checks a disk UUID as vSphere writes it ("60 00 C2 9b ... 6d-0c 4d ...": 16 hex bytes).
func uuidText(s string) (string, bool) {
	hex := strings.NewReplacer(" ", "", "-", "").Replace(s)
	if len(hex) != 32 {
		return "", false
	}
	parts := make([]string, 16)
	for i := range parts {
		b := hex[2*i : 2*i+2]
		if strings.Trim(strings.ToLower(b), "0123456789abcdef") != "" {
			return "", false
		}
		parts[i] = b
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " "), true
}

// SetVirtualDiskUuid writes the descriptor's ddb.uuid (the simulator kept nothing).
func (m *diskManager) SetVirtualDiskUuid(ctx *simulator.Context, req *types.SetVirtualDiskUuid) soap.HasFault {
	body := &methods.SetVirtualDiskUuidBody{}
	u, ok := uuidText(req.Uuid)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "uuid"})
		return body
	}
	f, d, fault := namedDisk(req.Datacenter, req.Name)
	if fault == nil {
		d.DDB["ddb.uuid"] = u
		if err := writeDescriptor(f.host, d); err != nil {
			fault = fileFault(req.Name, err)
		}
	}
	if fault != nil {
		body.Fault_ = simulator.Fault("", fault)
		return body
	}
	body.Res = &types.SetVirtualDiskUuidResponse{}
	return body
}
