package main

// pbm.go fills the PBM gaps of govmomi 0.24's simulator (issue 4):
//   - /pbm ignores the `vcSessionCookie` SOAP header through which PBM clients (pyVmomi, oslo.vmware)
//     pass the vCenter session, so their calls are NotAuthenticated; here the header authenticates
//     like the session cookie does;
//   - PbmQueryMatchingHub and PbmQueryAssociatedEntity are missing, and PbmQueryAssociatedProfile
//     always answers nothing; here a datastore matches a profile when the control endpoint's `tag`
//     request marked it compliant, and a VM or disk is associated with the profile its CreateVM /
//     ReconfigVM / CloneVM / RelocateVM spec named (vmProfile, a device's profile, a disk locator's
//     profile).
// These calls are answered here, in an HTTP layer in front of the simulator's /pbm endpoint (whose
// registry is created inside the server's start-up, out of reach of the registry hooks).

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	pbmmethods "github.com/vmware/govmomi/pbm/methods"
	pbmsim "github.com/vmware/govmomi/pbm/simulator"
	pbmtypes "github.com/vmware/govmomi/pbm/types"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

var pbmState = struct {
	sync.Mutex
	tags    map[string]map[types.ManagedObjectReference]bool // profile id -> compliant datastores
	vms     map[string]string                                // VM moref value -> profile id
	disks   map[string]string                                // "vm-1:2000" -> profile id
	pending map[string]func(types.ManagedObjectReference)    // task -> what to record once it succeeds
}{tags: map[string]map[types.ManagedObjectReference]bool{}, vms: map[string]string{}, disks: map[string]string{}}

func init() {
	httpLayers = append(httpLayers, pbmLayer)
	addControlRoute("tag", controlTagDatastore)
	addControlReset(func(*simulator.Model) {
		pbmState.Lock()
		pbmState.tags = map[string]map[types.ManagedObjectReference]bool{}
		pbmState.Unlock()
	})
}

// storageProfiles lists the PBM simulator's storage profiles (its own list, shared by every registry).
func storageProfiles() []pbmtypes.BasePbmProfile {
	reg := pbmsim.New()
	pm, ok := reg.Get(types.ManagedObjectReference{Type: "PbmProfileProfileManager", Value: "ProfileManager"}).(*pbmsim.ProfileManager)
	if !ok {
		return nil
	}
	q, ok := pm.PbmQueryProfile(&pbmtypes.PbmQueryProfile{ResourceType: pbmtypes.PbmProfileResourceType{ResourceType: string(pbmtypes.PbmProfileResourceTypeEnumSTORAGE)}}).(*pbmmethods.PbmQueryProfileBody)
	if !ok || q.Res == nil {
		return nil
	}
	res := q.Res.Returnval
	if len(res) == 0 {
		return nil
	}
	c, ok := pm.PbmRetrieveContent(&pbmtypes.PbmRetrieveContent{ProfileIds: res}).(*pbmmethods.PbmRetrieveContentBody)
	if !ok || c.Res == nil {
		return nil
	}
	return c.Res.Returnval
}

// profileID resolves a profile's name (or its id) to its id.
func profileID(name string) (string, bool) {
	for _, p := range storageProfiles() {
		pp := p.GetPbmProfile()
		if pp.Name == name || pp.ProfileId.UniqueId == name {
			return pp.ProfileId.UniqueId, true
		}
	}
	return "", false
}

func controlTagDatastore(_ *simulator.Model, body []byte) (interface{}, error) {
	var req struct {
		Datastore string `json:"datastore"`
		Profile   string `json:"profile"`
	}
	if err := strictJSON(body, &req); err != nil {
		return nil, err
	}
	dss := findDatastores(req.Datastore)
	if len(dss) == 0 {
		return nil, fmt.Errorf("no datastore named %q", req.Datastore)
	}
	id, ok := profileID(req.Profile)
	if !ok {
		return nil, fmt.Errorf("no storage profile named %q", req.Profile)
	}
	pbmState.Lock()
	defer pbmState.Unlock()
	if pbmState.tags[id] == nil {
		pbmState.tags[id] = map[types.ManagedObjectReference]bool{}
	}
	for _, ds := range dss {
		pbmState.tags[id][ds.Self] = true
	}
	return struct{}{}, nil
}

var vcSessionCookie = regexp.MustCompile(`<(?:[\w-]+:)?vcSessionCookie[^>]*>\s*([^<\s]+)\s*</`)

func pbmTypeFunc(name string) (t reflect.Type, ok bool) {
	if t, ok = types.TypeFunc()("pbm:" + name); ok {
		return t, ok
	}
	return types.TypeFunc()(name)
}

// sessionExists reports whether a session key is a live session of the simulator.
func sessionExists(key string) bool {
	ref := simulator.Map.SessionManager().Reference()
	outsider := &simulator.Session{UserSession: types.UserSession{Key: "vmkit-pbm"}, Registry: simulator.NewRegistry()}
	view, ok := outsider.Get(ref).(*simulator.SessionManager)
	if !ok {
		return false
	}
	for _, s := range view.SessionList {
		if s.Key == key {
			return true
		}
	}
	return false
}

func pbmLayer(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/sdk") {
			recordProfiles(w, r, next)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/pbm") {
			next.ServeHTTP(w, r)
			return
		}
		r, body, method, ok := soapOr400(w, r)
		if !ok {
			return
		}
		// The vCenter session passed as the vcSessionCookie header authenticates like the cookie.
		session := ""
		if ck, err := r.Cookie(soap.SessionCookieName); err == nil {
			session = ck.Value
		} else if m := vcSessionCookie.FindSubmatch(body); m != nil {
			session = string(m[1])
			r.AddCookie(&http.Cookie{Name: soap.SessionCookieName, Value: session})
		}
		switch method {
		case "PbmQueryMatchingHub", "PbmQueryAssociatedEntity", "PbmQueryAssociatedProfile":
		default:
			next.ServeHTTP(w, r)
			return
		}
		if session == "" || !sessionExists(session) {
			writeFault(w, &types.NotAuthenticated{NoPermission: types.NoPermission{PrivilegeId: "System.View"}}, "")
			return
		}
		m, err := simulator.UnmarshalBody(pbmTypeFunc, body)
		if err != nil {
			writeFault(w, &types.InvalidRequest{}, err.Error())
			return
		}
		var res interface{}
		switch req := m.Body.(type) {
		case *pbmtypes.PbmQueryMatchingHub:
			res = &pbmtypes.PbmQueryMatchingHubResponse{Returnval: matchingHubs(req)}
		case *pbmtypes.PbmQueryAssociatedEntity:
			res = &pbmtypes.PbmQueryAssociatedEntityResponse{Returnval: associatedEntities(req)}
		case *pbmtypes.PbmQueryAssociatedProfile:
			res = &pbmtypes.PbmQueryAssociatedProfileResponse{Returnval: associatedProfiles(req)}
		}
		writeResponse(w, "urn:pbm", method+"Response", res)
	})
}

func writeResponse(w http.ResponseWriter, ns, name string, res interface{}) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	buf.WriteString(`<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
	e := vimxml.NewEncoder(&buf)
	if err := e.EncodeElement(res, vimxml.StartElement{Name: vimxml.Name{Space: ns, Local: name}}); err != nil || e.Flush() != nil {
		writeFault(w, &types.SystemError{Reason: "encoding"}, "could not encode the response")
		return
	}
	buf.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func matchingHubs(req *pbmtypes.PbmQueryMatchingHub) []pbmtypes.PbmPlacementHub {
	pbmState.Lock()
	tagged := pbmState.tags[req.Profile.UniqueId]
	pbmState.Unlock()
	var out []pbmtypes.PbmPlacementHub
	if len(req.HubsToSearch) > 0 {
		for _, h := range req.HubsToSearch {
			if tagged[types.ManagedObjectReference{Type: h.HubType, Value: h.HubId}] {
				out = append(out, h)
			}
		}
		return out
	}
	for _, e := range simulator.Map.All("Datastore") {
		if ref := e.Reference(); tagged[ref] {
			out = append(out, pbmtypes.PbmPlacementHub{HubType: ref.Type, HubId: ref.Value})
		}
	}
	return out
}

func associatedEntities(req *pbmtypes.PbmQueryAssociatedEntity) []pbmtypes.PbmServerObjectRef {
	pbmState.Lock()
	defer pbmState.Unlock()
	var out []pbmtypes.PbmServerObjectRef
	if req.EntityType == "" || req.EntityType == "virtualMachine" {
		for vm, id := range pbmState.vms {
			if id == req.Profile.UniqueId {
				out = append(out, pbmtypes.PbmServerObjectRef{ObjectType: "virtualMachine", Key: vm})
			}
		}
	}
	if req.EntityType == "" || req.EntityType == "virtualDiskId" {
		for disk, id := range pbmState.disks {
			if id == req.Profile.UniqueId {
				out = append(out, pbmtypes.PbmServerObjectRef{ObjectType: "virtualDiskId", Key: disk})
			}
		}
	}
	return out
}

func associatedProfiles(req *pbmtypes.PbmQueryAssociatedProfile) []pbmtypes.PbmProfileId {
	pbmState.Lock()
	defer pbmState.Unlock()
	var id string
	switch req.Entity.ObjectType {
	case "virtualMachine":
		id = pbmState.vms[req.Entity.Key]
	case "virtualDiskId":
		id = pbmState.disks[req.Entity.Key]
	}
	if id == "" {
		return nil
	}
	return []pbmtypes.PbmProfileId{{UniqueId: id}}
}

// profileOf is the profile id a profile spec list names, if any ("" for none or the default).
func profileOf(specs []types.BaseVirtualMachineProfileSpec) (string, bool) {
	for _, s := range specs {
		switch p := s.(type) {
		case *types.VirtualMachineDefinedProfileSpec:
			return p.ProfileId, true
		case *types.VirtualMachineEmptyProfileSpec, *types.VirtualMachineDefaultProfileSpec:
			return "", true
		}
	}
	return "", false
}

// recordProfiles passes an /sdk call through and, for calls that name storage profiles, records the
// associations once the call's task has succeeded.
func recordProfiles(w http.ResponseWriter, r *http.Request, next http.Handler) {
	r, body, method, ok := soapOr400(w, r)
	if !ok {
		return
	}
	switch method {
	case "CreateVM_Task", "ReconfigVM_Task", "CloneVM_Task", "RelocateVM_Task":
	default:
		next.ServeHTTP(w, r)
		return
	}
	if !bytes.Contains(body, []byte("rofile")) {
		next.ServeHTTP(w, r)
		return
	}
	m, err := simulator.UnmarshalBody(types.TypeFunc(), body)
	if err != nil {
		next.ServeHTTP(w, r)
		return
	}
	var vmProfile []types.BaseVirtualMachineProfileSpec
	var devices []types.BaseVirtualDeviceConfigSpec
	var locators []types.VirtualMachineRelocateSpecDiskLocator
	target := func(task *simulator.Task) (types.ManagedObjectReference, bool) { return m.This, true }
	resultVM := func(task *simulator.Task) (types.ManagedObjectReference, bool) {
		ref, ok := task.Info.Result.(types.ManagedObjectReference)
		return ref, ok
	}
	switch req := m.Body.(type) {
	case *types.CreateVM_Task:
		vmProfile, devices, target = req.Config.VmProfile, req.Config.DeviceChange, resultVM
	case *types.ReconfigVM_Task:
		vmProfile, devices = req.Spec.VmProfile, req.Spec.DeviceChange
	case *types.CloneVM_Task:
		vmProfile, locators, target = req.Spec.Location.Profile, req.Spec.Location.Disk, resultVM
		if req.Spec.Config != nil {
			devices = req.Spec.Config.DeviceChange
			if len(vmProfile) == 0 {
				vmProfile = req.Spec.Config.VmProfile
			}
		}
	case *types.RelocateVM_Task:
		vmProfile, locators = req.Spec.Profile, req.Spec.Disk
	}
	// The answer waits until the associations are recorded: the caller may ask for them right after.
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	defer replay(w, rec)
	if rec.Code != http.StatusOK {
		return
	}
	task := taskOf(rec.Body.Bytes())
	if task == nil {
		return
	}
	record := func() {
		if vm, ok := target(task); ok {
			recordAssociations(vm, vmProfile, devices, locators)
		}
	}
	switch taskState(task) {
	case types.TaskInfoStateSuccess:
		record()
	case types.TaskInfoStateQueued, types.TaskInfoStateRunning:
		// A delayed task (control task-delay): record once it has succeeded.
		go func() {
			for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				switch taskState(task) {
				case types.TaskInfoStateSuccess:
					record()
					return
				case types.TaskInfoStateError:
					return
				}
			}
		}()
	}
}

func taskState(task *simulator.Task) types.TaskInfoState {
	var s types.TaskInfoState
	simulator.Map.WithLock(task, func() { s = task.Info.State })
	return s
}

func recordAssociations(vm types.ManagedObjectReference, vmProfile []types.BaseVirtualMachineProfileSpec,
	devices []types.BaseVirtualDeviceConfigSpec, locators []types.VirtualMachineRelocateSpecDiskLocator) {
	pbmState.Lock()
	defer pbmState.Unlock()
	if id, named := profileOf(vmProfile); named {
		if id == "" {
			delete(pbmState.vms, vm.Value)
		} else {
			pbmState.vms[vm.Value] = id
		}
	}
	for _, c := range devices {
		if c == nil {
			continue
		}
		s := c.GetVirtualDeviceConfigSpec()
		if s.Device == nil {
			continue
		}
		if id, named := profileOf(s.Profile); named {
			key := fmt.Sprintf("%s:%d", vm.Value, s.Device.GetVirtualDevice().Key)
			if id == "" {
				delete(pbmState.disks, key)
			} else {
				pbmState.disks[key] = id
			}
		}
	}
	for _, l := range locators {
		if id, named := profileOf(l.Profile); named && id != "" {
			pbmState.disks[fmt.Sprintf("%s:%d", vm.Value, l.DiskId)] = id
		}
	}
}

var taskRef = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

// taskOf finds the Task a response returned.
func taskOf(res []byte) *simulator.Task {
	m := taskRef.FindSubmatch(res)
	if m == nil {
		return nil
	}
	t, _ := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	return t
}
