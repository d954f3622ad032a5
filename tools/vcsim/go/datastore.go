package main

// datastore.go fills the datastore gaps of govmomi 0.24's simulator (issue 4):
//   - local datastores report type OTHER; here each is VMFS, NFS or vSAN (flag -ds-types, assigned in
//     turn by the datastore's index), with summary.type and info of that kind (VmfsDatastoreInfo,
//     NasDatastoreInfo, VsanDatastoreInfo);
//   - a datastore lists only one of the hosts that mount it (each host's CreateLocalDatastore
//     replaces the previous object); here datastore.host lists every host whose host.datastore has it;
//   - RefreshDatastore answers nothing (its response fails to encode and the connection drops); here
//     it answers an empty response, and keeps the sizes a test set through the control endpoint;
//   - a datastore made inaccessible here refuses file work as vCenter does: a SOAP call that names a
//     path on it (`[name] ...`) answers InaccessibleDatastore, and /folder requests for it answer 404;
//   - nothing can put a datastore in maintenance, make it inaccessible or change its free space; the
//     control endpoint's `datastore` request does (and `reset` undoes it).

import (
	"crypto/sha1"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var dsTypesFlag string

func init() {
	flagHooks = append(flagHooks, func(fs *flag.FlagSet) {
		fs.StringVar(&dsTypesFlag, "ds-types", "vmfs", "datastore types assigned in turn by index: a comma list of vmfs, nfs, vsan")
	})
	beforeCreate = append(beforeCreate, func(*simulator.Model) error {
		_, err := parseDsTypes(dsTypesFlag)
		return err
	})
	beforeServe = append(beforeServe, func(*simulator.Model) error {
		kinds, _ := parseDsTypes(dsTypesFlag)
		for _, e := range simulator.Map.All("Datastore") {
			ds := e.(*simulator.Datastore)
			mountOnEveryHost(ds)
			setKind(ds, kinds[dsIndex(ds.Name)%len(kinds)])
			saveOriginal(ds)
		}
		return nil
	})
	httpLayers = append(httpLayers, refreshKeepsOverrides, inaccessibleRefuses)
	addControlRoute("datastore", controlSetDatastore)
	addControlReset(func(*simulator.Model) { restoreDatastores() })
}

func parseDsTypes(s string) ([]string, error) {
	var kinds []string
	for _, k := range strings.Split(s, ",") {
		k = strings.ToLower(strings.TrimSpace(k))
		switch k {
		case "vmfs", "nfs", "vsan":
			kinds = append(kinds, k)
		default:
			return nil, fmt.Errorf("-ds-types: %q is not one of vmfs, nfs, vsan", k)
		}
	}
	return kinds, nil
}

var trailingNumber = regexp.MustCompile(`(\d+)$`)

func dsIndex(name string) int {
	if m := trailingNumber.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// mountOnEveryHost lists, as the datastore's hosts, every host that has it in host.datastore.
func mountOnEveryHost(ds *simulator.Datastore) {
	var mounts []types.DatastoreHostMount
	for _, e := range simulator.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		for _, ref := range h.Datastore {
			if ref == ds.Self {
				mounts = append(mounts, types.DatastoreHostMount{Key: h.Self, MountInfo: types.HostMountInfo{
					Path:       ds.Info.GetDatastoreInfo().Url,
					AccessMode: string(types.HostMountModeReadWrite),
					Mounted:    types.NewBool(true),
					Accessible: types.NewBool(true),
				}})
			}
		}
	}
	if len(mounts) > 0 {
		ds.Host = mounts
	}
}

// setKind gives a datastore the summary type and info of a VMFS, NFS or vSAN datastore.
func setKind(ds *simulator.Datastore, kind string) {
	base := *ds.Info.GetDatastoreInfo()
	id := fmt.Sprintf("%x", sha1.Sum([]byte(ds.Self.Value)))
	uuid := id[0:8] + "-" + id[8:16] + "-" + id[16:20] + "-" + id[20:32]
	switch kind {
	case "vmfs":
		ds.Summary.Type = string(types.HostFileSystemVolumeFileSystemTypeVMFS)
		ds.Info = &types.VmfsDatastoreInfo{DatastoreInfo: base, Vmfs: &types.HostVmfsVolume{
			HostFileSystemVolume: types.HostFileSystemVolume{Type: "VMFS", Name: ds.Name, Capacity: ds.Summary.Capacity},
			BlockSizeMb:          1, BlockSize: 1024, MaxBlocks: 63963136, MajorVersion: 6, Version: "6.82", Uuid: uuid,
			Local: types.NewBool(true), Ssd: types.NewBool(true),
		}}
	case "nfs":
		ds.Summary.Type = string(types.HostFileSystemVolumeFileSystemTypeNFS)
		ds.Info = &types.NasDatastoreInfo{DatastoreInfo: base, Nas: &types.HostNasVolume{
			HostFileSystemVolume: types.HostFileSystemVolume{Type: "NFS", Name: ds.Name, Capacity: ds.Summary.Capacity},
			RemoteHost:           "nfs.vmkit.test", RemotePath: "/export/" + ds.Name, ProtocolEndpoint: types.NewBool(false),
		}}
		ds.Summary.MultipleHostAccess = types.NewBool(true)
	case "vsan":
		ds.Summary.Type = string(types.HostFileSystemVolumeFileSystemTypeVsan)
		ds.Info = &types.VsanDatastoreInfo{DatastoreInfo: base, MembershipUuid: uuid}
		ds.Summary.MultipleHostAccess = types.NewBool(true)
	}
}

// The state before any control request, by datastore, for reset.
type dsOriginal struct {
	freeSpace, capacity int64
	maintenance, kind   string
	accessible          bool
	info                types.BaseDatastoreInfo
	infoFree            int64
}

var (
	dsMu        sync.Mutex
	dsOriginals = map[types.ManagedObjectReference]dsOriginal{}
	dsChanged   = map[types.ManagedObjectReference]bool{}
	// The sizes set through the control endpoint, which RefreshDatastore (a statfs) must not undo.
	dsSizes = map[types.ManagedObjectReference]datastoreRequest{}
)

func saveOriginal(ds *simulator.Datastore) {
	dsMu.Lock()
	defer dsMu.Unlock()
	dsOriginals[ds.Self] = dsOriginal{
		freeSpace: ds.Summary.FreeSpace, capacity: ds.Summary.Capacity, maintenance: ds.Summary.MaintenanceMode,
		kind: ds.Summary.Type, accessible: ds.Summary.Accessible, info: ds.Info, infoFree: ds.Info.GetDatastoreInfo().FreeSpace,
	}
}

type datastoreRequest struct {
	Name            string  `json:"name"`
	FreeSpace       *int64  `json:"freeSpace"`
	Capacity        *int64  `json:"capacity"`
	MaintenanceMode *string `json:"maintenanceMode"`
	Accessible      *bool   `json:"accessible"`
	Type            *string `json:"type"`
}

func findDatastores(name string) []*simulator.Datastore {
	var out []*simulator.Datastore
	for _, e := range simulator.Map.All("Datastore") {
		if ds := e.(*simulator.Datastore); ds.Name == name {
			out = append(out, ds)
		}
	}
	return out
}

func controlSetDatastore(_ *simulator.Model, body []byte) (interface{}, error) {
	var req datastoreRequest
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	dss := findDatastores(req.Name)
	if len(dss) == 0 {
		return nil, fmt.Errorf("no datastore named %q", req.Name)
	}
	if req.MaintenanceMode != nil && *req.MaintenanceMode != "normal" && *req.MaintenanceMode != "inMaintenance" {
		return nil, fmt.Errorf("maintenanceMode must be normal or inMaintenance")
	}
	if (req.FreeSpace != nil && *req.FreeSpace < 0) || (req.Capacity != nil && *req.Capacity < 0) {
		return nil, fmt.Errorf("freeSpace and capacity must be >= 0")
	}
	for _, ds := range dss {
		applyDatastore(ds, req)
	}
	return struct{}{}, nil
}

func applyDatastore(ds *simulator.Datastore, req datastoreRequest) {
	dsMu.Lock()
	dsChanged[ds.Self] = true
	sizes := dsSizes[ds.Self]
	if req.FreeSpace != nil {
		sizes.FreeSpace = req.FreeSpace
	}
	if req.Capacity != nil {
		sizes.Capacity = req.Capacity
	}
	dsSizes[ds.Self] = sizes
	dsMu.Unlock()
	simulator.Map.WithLock(ds, func() {
		var changes []types.PropertyChange
		if req.Type != nil {
			switch k := strings.ToLower(*req.Type); k {
			case "vmfs", "nfs", "vsan":
				setKind(ds, k)
			default:
				ds.Summary.Type = *req.Type
			}
			changes = append(changes, types.PropertyChange{Name: "summary.type", Val: ds.Summary.Type}, types.PropertyChange{Name: "info", Val: ds.Info})
		}
		if req.Capacity != nil {
			changes = append(changes, types.PropertyChange{Name: "summary.capacity", Val: *req.Capacity})
		}
		if req.FreeSpace != nil {
			ds.Info.GetDatastoreInfo().FreeSpace = *req.FreeSpace
			changes = append(changes, types.PropertyChange{Name: "summary.freeSpace", Val: *req.FreeSpace})
		}
		if req.MaintenanceMode != nil {
			changes = append(changes, types.PropertyChange{Name: "summary.maintenanceMode", Val: *req.MaintenanceMode})
		}
		if req.Accessible != nil {
			mounts := append([]types.DatastoreHostMount(nil), ds.Host...)
			for i := range mounts {
				mounts[i].MountInfo.Accessible = types.NewBool(*req.Accessible)
				if !*req.Accessible {
					mounts[i].MountInfo.InaccessibleReason = "AllPathsDown_Start"
				} else {
					mounts[i].MountInfo.InaccessibleReason = ""
				}
			}
			changes = append(changes, types.PropertyChange{Name: "summary.accessible", Val: *req.Accessible}, types.PropertyChange{Name: "host", Val: mounts})
		}
		if len(changes) > 0 {
			simulator.Map.Update(ds, changes)
		}
	})
}

func restoreDatastores() {
	dsMu.Lock()
	changed := dsChanged
	dsChanged = map[types.ManagedObjectReference]bool{}
	dsSizes = map[types.ManagedObjectReference]datastoreRequest{}
	dsMu.Unlock()
	for ref := range changed {
		ds, ok := simulator.Map.Get(ref).(*simulator.Datastore)
		if !ok {
			continue
		}
		dsMu.Lock()
		o := dsOriginals[ref]
		dsMu.Unlock()
		simulator.Map.WithLock(ds, func() {
			ds.Info = o.info
			ds.Info.GetDatastoreInfo().FreeSpace = o.infoFree
			mounts := append([]types.DatastoreHostMount(nil), ds.Host...)
			for i := range mounts {
				mounts[i].MountInfo.Accessible = types.NewBool(true)
				mounts[i].MountInfo.InaccessibleReason = ""
			}
			simulator.Map.Update(ds, []types.PropertyChange{
				{Name: "summary.freeSpace", Val: o.freeSpace}, {Name: "summary.capacity", Val: o.capacity},
				{Name: "summary.maintenanceMode", Val: o.maintenance}, {Name: "summary.type", Val: o.kind},
				{Name: "summary.accessible", Val: o.accessible}, {Name: "host", Val: mounts}, {Name: "info", Val: ds.Info},
			})
		})
	}
}

// refreshKeepsOverrides answers RefreshDatastore and puts the sizes set through the control endpoint back.
func refreshKeepsOverrides(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _, method, ok := readSoap(w, r, next, "/sdk")
		if !ok {
			return
		}
		if method != "RefreshDatastore" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		dsMu.Lock()
		sizes := make(map[types.ManagedObjectReference]datastoreRequest, len(dsSizes))
		for k, v := range dsSizes {
			sizes[k] = v
		}
		dsMu.Unlock()
		for ref, req := range sizes {
			if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok {
				applyDatastore(ds, datastoreRequest{FreeSpace: req.FreeSpace, Capacity: req.Capacity})
			}
		}
		if rec.Code == http.StatusOK && rec.Body.Len() == 0 {
			// The simulator's RefreshDatastore returns no response object, fails to encode it and
			// closes the connection: answer the (empty) response it meant.
			writeResponse(w, "urn:vim25", "RefreshDatastoreResponse", &types.RefreshDatastoreResponse{})
			return
		}
		replay(w, rec)
	})
}

// inaccessibleDatastores are the names of the datastores made inaccessible through the control endpoint.
func inaccessibleDatastores() map[string]types.ManagedObjectReference {
	out := map[string]types.ManagedObjectReference{}
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		dsMu.Lock()
		changed := dsChanged[ds.Self]
		dsMu.Unlock()
		if changed && !ds.Summary.Accessible {
			out[ds.Name] = ds.Self
		}
	}
	return out
}

// inaccessibleRefuses refuses file work on datastores made inaccessible.
func inaccessibleRefuses(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dsMu.Lock()
		someChanged := len(dsChanged) > 0
		dsMu.Unlock()
		if !someChanged {
			next.ServeHTTP(w, r)
			return
		}
		down := inaccessibleDatastores()
		if len(down) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/folder/") {
			if _, ok := down[r.URL.Query().Get("dsName")]; ok {
				http.Error(w, "404 Not Found: the datastore is inaccessible", http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		r, body, _, ok := readSoap(w, r, next, "/sdk")
		if !ok {
			return
		}
		for name, ref := range down {
			if strings.Contains(string(body), ">["+name+"]") {
				ref := ref
				writeFault(w, &types.InaccessibleDatastore{InvalidDatastore: types.InvalidDatastore{Datastore: &ref, Name: name}},
					fmt.Sprintf("datastore %s is not accessible", name))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
