package main

// inventory.go fills two gaps of govmomi 0.24's simulator that Cinder's VMDK driver trips over
// (issue 4):
//   - there is no ExtensionManager object behind ServiceContent.extensionManager (every call is
//     ManagedObjectNotFound); here one keeps a list of extensions with FindExtension,
//     RegisterExtension (InvalidArgument when the key exists, as vCenter answers), UpdateExtension and
//     UnregisterExtension (NotFound when it does not);
//   - SearchIndex.FindAllByUuid is missing (the simulator's SearchIndex object is used internally, so
//     it is answered here, in an HTTP layer): VMs by BIOS or instance UUID, or hosts by hardware UUID,
//     optionally within one datacenter.

import (
	"net/http"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type extensionManager struct {
	mo.ExtensionManager
}

func init() {
	beforeServe = append(beforeServe, func(m *simulator.Model) error {
		if ref := m.ServiceContent.ExtensionManager; ref != nil {
			// The simulator registers a bare object under this reference, with no methods: replace it.
			simulator.Map.Put(&extensionManager{ExtensionManager: mo.ExtensionManager{Self: *ref}})
		}
		return nil
	})
	httpLayers = append(httpLayers, findAllByUUIDLayer)
}

func (m *extensionManager) find(key string) int {
	for i := range m.ExtensionList {
		if m.ExtensionList[i].Key == key {
			return i
		}
	}
	return -1
}

// FindExtension answers the extension with the key, or nothing.
func (m *extensionManager) FindExtension(req *types.FindExtension) soap.HasFault {
	res := &types.FindExtensionResponse{}
	if i := m.find(req.ExtensionKey); i >= 0 {
		ext := m.ExtensionList[i]
		res.Returnval = &ext
	}
	return &methods.FindExtensionBody{Res: res}
}

// RegisterExtension adds an extension; a key already registered is InvalidArgument.
func (m *extensionManager) RegisterExtension(req *types.RegisterExtension) soap.HasFault {
	body := &methods.RegisterExtensionBody{}
	if req.Extension.Key == "" {
		body.Fault_ = simulator.Fault("an extension needs a key", &types.InvalidArgument{InvalidProperty: "extension.key"})
		return body
	}
	if m.find(req.Extension.Key) >= 0 {
		body.Fault_ = simulator.Fault("extension "+req.Extension.Key+" is already registered", &types.InvalidArgument{InvalidProperty: "extension.key"})
		return body
	}
	ext := req.Extension
	ext.LastHeartbeatTime = time.Now()
	simulator.Map.Update(m, []types.PropertyChange{{Name: "extensionList", Val: append(append([]types.Extension(nil), m.ExtensionList...), ext)}})
	body.Res = &types.RegisterExtensionResponse{}
	return body
}

// UpdateExtension replaces a registered extension; an unknown key is NotFound.
func (m *extensionManager) UpdateExtension(req *types.UpdateExtension) soap.HasFault {
	body := &methods.UpdateExtensionBody{}
	i := m.find(req.Extension.Key)
	if i < 0 {
		body.Fault_ = simulator.Fault("extension "+req.Extension.Key+" is not registered", &types.NotFound{})
		return body
	}
	list := append([]types.Extension(nil), m.ExtensionList...)
	list[i] = req.Extension
	list[i].LastHeartbeatTime = time.Now()
	simulator.Map.Update(m, []types.PropertyChange{{Name: "extensionList", Val: list}})
	body.Res = &types.UpdateExtensionResponse{}
	return body
}

// UnregisterExtension removes an extension; an unknown key is NotFound.
func (m *extensionManager) UnregisterExtension(req *types.UnregisterExtension) soap.HasFault {
	body := &methods.UnregisterExtensionBody{}
	i := m.find(req.ExtensionKey)
	if i < 0 {
		body.Fault_ = simulator.Fault("extension "+req.ExtensionKey+" is not registered", &types.NotFound{})
		return body
	}
	list := append(append([]types.Extension(nil), m.ExtensionList[:i]...), m.ExtensionList[i+1:]...)
	simulator.Map.Update(m, []types.PropertyChange{{Name: "extensionList", Val: list}})
	body.Res = &types.UnregisterExtensionResponse{}
	return body
}

// inDatacenter reports whether an entity lies under the datacenter.
func inDatacenter(e mo.Entity, dc types.ManagedObjectReference) bool {
	for e != nil {
		if e.Reference() == dc {
			return true
		}
		p := e.Entity().Parent
		if p == nil {
			return false
		}
		next, ok := simulator.Map.Get(*p).(mo.Entity)
		if !ok {
			return false
		}
		e = next
	}
	return false
}

func findAllByUUID(req *types.FindAllByUuid) []types.ManagedObjectReference {
	want := strings.ToLower(req.Uuid)
	var out []types.ManagedObjectReference
	if req.VmSearch {
		instance := req.InstanceUuid != nil && *req.InstanceUuid
		for _, e := range simulator.Map.All("VirtualMachine") {
			vm := e.(*simulator.VirtualMachine)
			if vm.Config == nil || (req.Datacenter != nil && !inDatacenter(vm, *req.Datacenter)) {
				continue
			}
			id := vm.Config.Uuid
			if instance {
				id = vm.Config.InstanceUuid
			}
			if strings.ToLower(id) == want {
				out = append(out, vm.Self)
			}
		}
		return out
	}
	for _, e := range simulator.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		if req.Datacenter != nil && !inDatacenter(h, *req.Datacenter) {
			continue
		}
		id := ""
		if h.Summary.Hardware != nil {
			id = h.Summary.Hardware.Uuid
		}
		if h.Hardware != nil && id == "" {
			id = h.Hardware.SystemInfo.Uuid
		}
		if id != "" && strings.ToLower(id) == want {
			out = append(out, h.Self)
		}
	}
	return out
}

func findAllByUUIDLayer(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, body, method, ok := readSoap(w, r, next, "/sdk")
		if !ok {
			return
		}
		if method != "FindAllByUuid" {
			next.ServeHTTP(w, r)
			return
		}
		if ck, err := r.Cookie(soap.SessionCookieName); err != nil || !sessionExists(ck.Value) {
			writeFault(w, &types.NotAuthenticated{NoPermission: types.NoPermission{PrivilegeId: "System.View"}}, "")
			return
		}
		m, err := simulator.UnmarshalBody(types.TypeFunc(), body)
		if err != nil {
			writeFault(w, &types.InvalidRequest{}, err.Error())
			return
		}
		req, ok := m.Body.(*types.FindAllByUuid)
		if !ok {
			writeFault(w, &types.InvalidRequest{}, "")
			return
		}
		writeResponse(w, "urn:vim25", "FindAllByUuidResponse", &types.FindAllByUuidResponse{Returnval: findAllByUUID(req)})
	})
}
