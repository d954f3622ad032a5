// Gap filled: govmomi 0.24's datastore browser lists a disk's extent files (`-flat.vmdk`, and here
// `-delta.vmdk`) as files of their own, and its VmDiskFileInfo says nothing about the disk (the
// simulator's code has a TODO there).
//
// Through the SOAP layer of disk_soap.go, after SearchDatastore_Task or SearchDatastoreSubFolders_Task
// has run: the extents of a disk (disk.go) are hidden, as vSphere's browser hides them; a disk's
// fileSize is its descriptor's plus its extent's (the extent's allocated bytes for a thin disk or a
// delta); and a VmDiskFileInfo carries the details its query asked for: capacityKb, diskType
// (VirtualDiskFlatVer2BackingInfo), thin, controllerType, hardwareVersion and diskExtents.
package main

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	handleSoap("SearchDatastore_Task", browseDatastore)
	handleSoap("SearchDatastoreSubFolders_Task", browseDatastore)
}

func browseDatastore(c *soapCall) {
	var spec *types.HostDatastoreBrowserSearchSpec
	switch req := c.method.Body.(type) {
	case *types.SearchDatastore_Task:
		spec = req.SearchSpec
	case *types.SearchDatastoreSubFolders_Task:
		spec = req.SearchSpec
	}
	rec, task, ok := c.forwardForTask()
	if !ok {
		return
	}
	var result types.AnyType
	switch r := task.Info.Result.(type) {
	case types.HostDatastoreBrowserSearchResults:
		result = diskSearchResults(r, spec)
	case types.ArrayOfHostDatastoreBrowserSearchResults:
		out := types.ArrayOfHostDatastoreBrowserSearchResults{}
		for _, one := range r.HostDatastoreBrowserSearchResults {
			out.HostDatastoreBrowserSearchResults = append(out.HostDatastoreBrowserSearchResults, diskSearchResults(one, spec))
		}
		result = out
	}
	if result != nil {
		simulator.Map.WithLock(task, func() {
			simulator.Map.Update(task, []types.PropertyChange{{Name: "info.result", Val: result}})
		})
	}
	c.send(rec)
}

// diskQueryDetails is what the search's VmDiskFileQuery asked for (nil: no disk details).
func diskQueryDetails(spec *types.HostDatastoreBrowserSearchSpec) *types.VmDiskFileQueryFlags {
	if spec == nil {
		return nil
	}
	for _, q := range spec.Query {
		if dq, ok := q.(*types.VmDiskFileQuery); ok {
			return dq.Details
		}
	}
	return nil
}

func allocatedBytes(file string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		return 0
	}
	return st.Blocks * 512
}

var controllerTypes = map[string]string{
	"ide": "VirtualIDEController", "buslogic": "VirtualBusLogicController",
	"lsilogic": "VirtualLsiLogicController", "pvscsi": "ParaVirtualSCSIController",
}

// diskSearchResults hides extents and describes disks in one folder's search results.
func diskSearchResults(r types.HostDatastoreBrowserSearchResults, spec *types.HostDatastoreBrowserSearchSpec) types.HostDatastoreBrowserSearchResults {
	if r.Datastore == nil {
		return r
	}
	ds, ok := simulator.Map.Get(*r.Datastore).(*simulator.Datastore)
	if !ok {
		return r
	}
	var folder object.DatastorePath
	folder.FromString(r.FolderPath)
	dir := filepath.Join(ds.Info.GetDatastoreInfo().Url, filepath.FromSlash(folder.Path))
	details := diskQueryDetails(spec)
	var sizes bool
	if spec != nil && spec.Details != nil {
		sizes = spec.Details.FileSize
	}
	out := r
	out.File = nil
	for _, f := range r.File {
		info := f.GetFileInfo()
		name := path.Base(info.Path)
		host := filepath.Join(dir, filepath.FromSlash(info.Path))
		if strings.HasSuffix(name, "-flat.vmdk") || strings.HasSuffix(name, "-delta.vmdk") {
			owner := strings.TrimSuffix(strings.TrimSuffix(host, "-flat.vmdk"), "-delta.vmdk") + ".vmdk"
			if d, err := readDescriptor(owner); err == nil && d.Extent == name {
				continue // an extent of a disk: vSphere lists the disk only
			}
		}
		d, err := readDescriptor(host)
		if !strings.HasSuffix(name, ".vmdk") || err != nil {
			out.File = append(out.File, f)
			continue
		}
		extent := filepath.Join(filepath.Dir(host), d.Extent)
		if sizes {
			size := int64(0)
			if st, err := os.Stat(host); err == nil {
				size = st.Size()
			}
			if d.isDelta() || d.diskType() == "thin" {
				size += allocatedBytes(extent)
			} else if st, err := os.Stat(extent); err == nil {
				size += st.Size()
			}
			info.FileSize = size
		}
		vf, isDisk := f.(*types.VmDiskFileInfo)
		if !isDisk || details == nil {
			out.File = append(out.File, f)
			continue
		}
		nf := *vf
		nf.FileInfo = *info
		if details.CapacityKb {
			nf.CapacityKb = d.capacity() / 1024
		}
		if details.DiskType {
			nf.DiskType = "VirtualDiskFlatVer2BackingInfo"
		}
		if details.HardwareVersion {
			if v, err := strconv.Atoi(d.DDB["ddb.virtualHWVersion"]); err == nil {
				nf.HardwareVersion = int32(v)
			}
		}
		if details.Thin != nil && *details.Thin {
			nf.Thin = types.NewBool(!d.isDelta() && d.diskType() == "thin")
		}
		if details.ControllerType != nil && *details.ControllerType {
			nf.ControllerType = controllerTypes[d.DDB["ddb.adapterType"]]
		}
		if details.DiskExtents != nil && *details.DiskExtents {
			nf.DiskExtents = []string{(&object.DatastorePath{Datastore: ds.Name, Path: path.Join(path.Dir(path.Join(folder.Path, info.Path)), d.Extent)}).String()}
		}
		out.File = append(out.File, &nf)
	}
	return out
}
