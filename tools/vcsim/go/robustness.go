package main

// robustness.go fills the crash gaps of govmomi 0.24's simulator (issue 4): some requests make a handler
// panic, net/http drops the connection, and a panic inside ReconfigVM can leave the VM's device list
// half-edited so that every later reconfigure crashes too. Here, in an HTTP layer in front of the
// simulator's SOAP handlers:
//   - a recover() net turns any remaining panic into a SystemError SOAP fault, and a ReconfigVM that
//     panicked gets its previous device list back;
//   - requests the simulator crashes on are checked first: a datastore search without a search spec
//     (optional on vCenter: searched with an empty spec), a device edit without deviceInfo (optional:
//     given an empty one), a device without a (known) xsi:type or a disk without a backing
//     (InvalidDeviceSpec / InvalidDeviceBacking), CreateDisk_Task without a backing spec
//     (InvalidArgument), an OVF without a VirtualSystem, VirtualHardware or System section
//     (InvalidArgument);
//   - device specs are validated as vCenter does (the simulator checks none of it): a controller key
//     names an existing controller (InvalidController), a unit number is in the controller's range
//     and free on it, an edited or removed device exists (InvalidDeviceSpec);
//   - a move or copy of a datastore file or virtual disk without a destination datacenter was refused
//     (InvalidArgument "dc"): as on vCenter, the destination defaults to the source's datacenter; a
//     datacenter argument that is not a datacenter (which crashed) is ManagedObjectNotFound;
//   - timestamps without a time zone (`2026-01-02T03:04:05`), which vCenter reads as UTC and the
//     simulator refuses, are read as UTC.

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

func init() {
	// Layers wrap in file order (control.go's sits inside this one); the order does not matter here.
	httpLayers = append(httpLayers, robustnessLayer)
}

var naiveTime = regexp.MustCompile(`>(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)<`)

// A checked request either passes (nil, nil), is answered with a fault, or is replaced by a fixed one.
type check func(req interface{}) (fault types.BaseMethodFault, message string, fixed bool)

var checks = map[string]check{
	"ReconfigVM_Task":                checkReconfig,
	"CreateVM_Task":                  checkCreateVM,
	"SearchDatastore_Task":           checkSearch,
	"SearchDatastoreSubFolders_Task": checkSearch,
	"CreateDisk_Task":                checkCreateDisk,
	"CreateImportSpec":               checkImportSpec,
	"MoveDatastoreFile_Task":         checkDatacenters,
	"CopyDatastoreFile_Task":         checkDatacenters,
	"MoveVirtualDisk_Task":           checkDatacenters,
	"CopyVirtualDisk_Task":           checkDatacenters,
}

func robustnessLayer(_ *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, body, method, ok := readSoap(w, r, next, "/sdk", "/pbm")
		if !ok {
			return
		}
		if fixed := naiveTime.ReplaceAll(body, []byte(">${1}Z<")); !bytes.Equal(fixed, body) {
			body = fixed
			r = withSoapBody(r, body)
		}
		var restore func()
		if c, ok := checks[method]; ok && strings.HasPrefix(r.URL.Path, "/sdk") {
			if m, err := simulator.UnmarshalBody(types.TypeFunc(), body); err == nil {
				fault, msg, fixed := c(m.Body)
				if fault != nil {
					writeFault(w, fault, msg)
					return
				}
				if fixed {
					if re, err := reencode(method, m.Body); err == nil {
						body = re
					}
				}
				if method == "ReconfigVM_Task" {
					restore = deviceRestorer(m.This)
				}
			}
		}
		r = withSoapBody(r, body)
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if restore != nil {
				restore()
			}
			writeFault(w, &types.SystemError{Reason: "simulator handler failed"}, fmt.Sprintf("the simulator failed on %s: %v", method, p))
		}()
		next.ServeHTTP(w, r)
	})
}

// writeFault answers a typed fault the way the simulator does.
func writeFault(w http.ResponseWriter, fault types.BaseMethodFault, msg string) {
	var detail bytes.Buffer
	name := reflect.TypeOf(fault).Elem().Name()
	e := vimxml.NewEncoder(&detail)
	start := vimxml.StartElement{Name: vimxml.Name{Local: name + "Fault"}, Attr: []vimxml.Attr{
		{Name: vimxml.Name{Local: "xmlns"}, Value: "urn:vim25"},
		{Name: vimxml.Name{Local: "xsi:type"}, Value: name},
	}}
	if err := e.EncodeElement(fault, start); err != nil || e.Flush() != nil {
		detail.Reset()
	}
	if msg == "" {
		msg = name
	}
	writeFaultEnvelope(w, msg, detail.Bytes())
}

// reencode writes a fixed request back as a SOAP envelope, with xsi:type on polymorphic values.
func reencode(method string, req interface{}) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>`)
	e := vimxml.NewEncoder(&buf)
	if err := e.EncodeElement(req, vimxml.StartElement{Name: vimxml.Name{Space: "urn:vim25", Local: method}}); err != nil {
		return nil, err
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	buf.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	return buf.Bytes(), nil
}

// deviceRestorer saves a VM's device list so that a reconfigure that panics can put it back.
func deviceRestorer(ref types.ManagedObjectReference) func() {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok || vm.Config == nil {
		return nil
	}
	var saved []types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() { saved = append(saved, vm.Config.Hardware.Device...) })
	return func() {
		simulator.Map.WithLock(vm, func() { vm.Config.Hardware.Device = saved })
	}
}

func checkSearch(req interface{}) (types.BaseMethodFault, string, bool) {
	switch r := req.(type) {
	case *types.SearchDatastore_Task:
		if r.SearchSpec == nil {
			r.SearchSpec = &types.HostDatastoreBrowserSearchSpec{}
			return nil, "", true
		}
	case *types.SearchDatastoreSubFolders_Task:
		if r.SearchSpec == nil {
			r.SearchSpec = &types.HostDatastoreBrowserSearchSpec{}
			return nil, "", true
		}
	}
	return nil, "", false
}

func checkCreateDisk(req interface{}) (types.BaseMethodFault, string, bool) {
	r, ok := req.(*types.CreateDisk_Task)
	if !ok {
		return nil, "", false
	}
	if r.Spec.BackingSpec == nil {
		return &types.InvalidArgument{InvalidProperty: "spec.backingSpec"}, "CreateDisk_Task needs a spec with a backingSpec", false
	}
	ref := r.Spec.BackingSpec.GetVslmCreateSpecBackingSpec().Datastore
	if _, ok := simulator.Map.Get(ref).(*simulator.Datastore); !ok {
		return &types.ManagedObjectNotFound{Obj: ref}, fmt.Sprintf("datastore %s not found", ref.Value), false
	}
	return nil, "", false
}

func checkImportSpec(req interface{}) (types.BaseMethodFault, string, bool) {
	r, ok := req.(*types.CreateImportSpec)
	if !ok {
		return nil, "", false
	}
	invalid := &types.InvalidArgument{InvalidProperty: "ovfDescriptor"}
	env, err := ovf.Unmarshal(strings.NewReader(r.OvfDescriptor))
	if err != nil {
		return invalid, fmt.Sprintf("the OVF descriptor is not valid: %v", err), false
	}
	switch {
	case env.VirtualSystem == nil:
		return invalid, "the OVF descriptor has no VirtualSystem", false
	case len(env.VirtualSystem.VirtualHardware) == 0:
		return invalid, "the OVF descriptor's VirtualSystem has no VirtualHardwareSection", false
	case env.VirtualSystem.VirtualHardware[0].System == nil:
		return invalid, "the OVF descriptor's VirtualHardwareSection has no System section", false
	}
	if _, ok := simulator.Map.Get(r.Datastore).(*simulator.Datastore); !ok {
		return &types.ManagedObjectNotFound{Obj: r.Datastore}, "", false
	}
	return nil, "", false
}

func checkReconfig(req interface{}) (types.BaseMethodFault, string, bool) {
	r, ok := req.(*types.ReconfigVM_Task)
	if !ok {
		return nil, "", false
	}
	vm, ok := simulator.Map.Get(r.This).(*simulator.VirtualMachine)
	if !ok || vm.Config == nil {
		return nil, "", false // the simulator answers ManagedObjectNotFound
	}
	var devices []types.BaseVirtualDevice
	simulator.Map.WithLock(vm, func() { devices = append(devices, vm.Config.Hardware.Device...) })
	return validateDeviceChanges(devices, r.Spec.DeviceChange)
}

func checkCreateVM(req interface{}) (types.BaseMethodFault, string, bool) {
	r, ok := req.(*types.CreateVM_Task)
	if !ok {
		return nil, "", false
	}
	// A new VM starts with the simulator's default devices (PCI, IDE, PS/2, SIO controllers, ...).
	return validateDeviceChanges(esx.VirtualDevice, r.Config.DeviceChange)
}

// unitRange is the unit numbers a controller offers, and the one it uses itself (-1: none).
func unitRange(c types.BaseVirtualDevice) (max int32, own int32, limited bool) {
	switch x := c.(type) {
	case types.BaseVirtualSCSIController:
		// The controller's own unit is 7 on vSphere; the decoder cannot tell an absent value from 0.
		own := x.GetVirtualSCSIController().ScsiCtlrUnitNumber
		if own == 0 {
			own = 7
		}
		return 15, own, true
	case *types.VirtualIDEController:
		return 1, -1, true
	case types.BaseVirtualSATAController:
		return 29, -1, true
	case *types.VirtualNVMEController:
		return 14, -1, true
	}
	return 0, -1, false
}

// validateDeviceChanges checks a device change list against the devices present, in order, and fixes
// what vCenter accepts but the simulator crashes on. It reports whether it changed the request.
func validateDeviceChanges(present []types.BaseVirtualDevice, changes []types.BaseVirtualDeviceConfigSpec) (types.BaseMethodFault, string, bool) {
	devices := map[int32]types.BaseVirtualDevice{}
	for _, d := range present {
		devices[d.GetVirtualDevice().Key] = d
	}
	fixed := false
	for i, change := range changes {
		index := int32(i)
		if change == nil {
			return &types.InvalidDeviceSpec{DeviceIndex: index}, fmt.Sprintf("deviceChange[%d] is empty", i), false
		}
		spec := change.GetVirtualDeviceConfigSpec()
		if _, abstract := spec.Device.(*types.VirtualDevice); spec.Device == nil || abstract {
			return &types.InvalidDeviceSpec{DeviceIndex: index}, fmt.Sprintf("deviceChange[%d] has no device, or a device of an unknown xsi:type", i), false
		}
		d := spec.Device.GetVirtualDevice()
		if disk, ok := spec.Device.(*types.VirtualDisk); ok && spec.Operation != types.VirtualDeviceConfigSpecOperationRemove {
			if _, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo); !ok {
				return &types.InvalidDeviceBacking{InvalidDeviceSpec: types.InvalidDeviceSpec{DeviceIndex: index}},
					fmt.Sprintf("deviceChange[%d]: a disk needs a backing of type VirtualDiskFlatVer2BackingInfo (missing, or an xsi:type this simulator does not handle)", i), false
			}
		}
		switch spec.Operation {
		case types.VirtualDeviceConfigSpecOperationAdd:
			if _, isCtl := spec.Device.(types.BaseVirtualController); !isCtl || d.ControllerKey != 0 {
				if fault, msg := checkPlacement(devices, spec.Device, index); fault != nil {
					return fault, msg, false
				}
			}
			if d.Key != 0 {
				devices[d.Key] = spec.Device
			}
		case types.VirtualDeviceConfigSpecOperationEdit:
			old, ok := devices[d.Key]
			if !ok {
				return &types.InvalidDeviceSpec{DeviceIndex: index}, fmt.Sprintf("deviceChange[%d]: no device with key %d to edit", i, d.Key), false
			}
			if d.DeviceInfo == nil {
				d.DeviceInfo = &types.Description{}
				fixed = true
			}
			if od := old.GetVirtualDevice(); od.ControllerKey != d.ControllerKey || !sameUnit(od.UnitNumber, d.UnitNumber) {
				delete(devices, d.Key)
				if fault, msg := checkPlacement(devices, spec.Device, index); fault != nil {
					return fault, msg, false
				}
			}
			devices[d.Key] = spec.Device
		case types.VirtualDeviceConfigSpecOperationRemove:
			if _, ok := devices[d.Key]; !ok {
				return &types.InvalidDeviceSpec{DeviceIndex: index}, fmt.Sprintf("deviceChange[%d]: no device with key %d to remove", i, d.Key), false
			}
			delete(devices, d.Key)
		default:
			if spec.Operation != "" {
				return &types.InvalidDeviceSpec{DeviceIndex: index}, fmt.Sprintf("deviceChange[%d]: unknown operation %q", i, spec.Operation), false
			}
		}
	}
	return nil, "", fixed
}

func sameUnit(a, b *int32) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// checkPlacement checks a device's controller and unit number against the devices present.
func checkPlacement(devices map[int32]types.BaseVirtualDevice, device types.BaseVirtualDevice, index int32) (types.BaseMethodFault, string) {
	d := device.GetVirtualDevice()
	_, isDisk := device.(*types.VirtualDisk)
	if d.ControllerKey == 0 {
		if isDisk {
			return &types.InvalidController{InvalidDeviceSpec: types.InvalidDeviceSpec{DeviceIndex: index}, ControllerKey: 0},
				fmt.Sprintf("deviceChange[%d]: a disk needs a controller (controllerKey)", index)
		}
		return nil, ""
	}
	ctl, ok := devices[d.ControllerKey]
	if _, isCtl := ctl.(types.BaseVirtualController); !ok || !isCtl {
		return &types.InvalidController{InvalidDeviceSpec: types.InvalidDeviceSpec{DeviceIndex: index}, ControllerKey: d.ControllerKey},
			fmt.Sprintf("deviceChange[%d]: controller %d does not exist", index, d.ControllerKey)
	}
	if d.UnitNumber == nil {
		return nil, ""
	}
	unit := *d.UnitNumber
	if max, own, limited := unitRange(ctl); limited && (unit < 0 || unit > max || unit == own) {
		return &types.InvalidDeviceSpec{DeviceIndex: index},
			fmt.Sprintf("deviceChange[%d]: unit number %d is out of range for controller %d (%s)", index, unit, d.ControllerKey, object.VirtualDeviceList{}.Type(ctl))
	}
	for key, other := range devices {
		o := other.GetVirtualDevice()
		if key != d.Key && o.ControllerKey == d.ControllerKey && o.UnitNumber != nil && *o.UnitNumber == unit {
			return &types.InvalidDeviceSpec{DeviceIndex: index},
				fmt.Sprintf("deviceChange[%d]: unit number %d of controller %d is taken by device %d", index, unit, d.ControllerKey, key)
		}
	}
	return nil, ""
}

// checkDatacenters defaults a move's or copy's destination datacenter to the source's, and refuses
// datacenter arguments that name something else.
func checkDatacenters(req interface{}) (types.BaseMethodFault, string, bool) {
	var src, dst **types.ManagedObjectReference
	switch r := req.(type) {
	case *types.MoveDatastoreFile_Task:
		src, dst = &r.SourceDatacenter, &r.DestinationDatacenter
	case *types.CopyDatastoreFile_Task:
		src, dst = &r.SourceDatacenter, &r.DestinationDatacenter
	case *types.MoveVirtualDisk_Task:
		src, dst = &r.SourceDatacenter, &r.DestDatacenter
	case *types.CopyVirtualDisk_Task:
		src, dst = &r.SourceDatacenter, &r.DestDatacenter
	default:
		return nil, "", false
	}
	for _, dc := range []*types.ManagedObjectReference{*src, *dst} {
		if dc == nil {
			continue
		}
		if _, ok := simulator.Map.Get(*dc).(*simulator.Datacenter); !ok {
			return &types.ManagedObjectNotFound{Obj: *dc}, fmt.Sprintf("datacenter %s not found", dc.Value), false
		}
	}
	if *dst == nil && *src != nil {
		d := **src
		*dst = &d
		return nil, "", true
	}
	return nil, "", false
}
