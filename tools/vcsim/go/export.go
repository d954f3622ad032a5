// Gap filled: govmomi 0.24's VirtualMachine has no ExportVm (the simulator answers MethodNotFound).
//
// ExportVm goes through the SOAP layer of disk_soap.go: the request is first given to the simulator,
// so that its session and object checks answer as usual (NotAuthenticated, ManagedObjectNotFound);
// only its MethodNotFound is replaced. A powered-on VM is refused with InvalidPowerState, as vSphere
// does. Otherwise the answer is a new HttpNfcLease in the registry (so the property collector reads
// its state and info), ready at once, with one device URL per disk (`https://*/nfc/<lease>/disk-N.vmdk`,
// `*` meaning this server). A GET of a device URL streams the disk, read through its delta chain, as a
// stream-optimized VMDK (nfc_streamvmdk.go), encoded while it is sent. HttpNfcLeaseProgress records the
// percentage, HttpNfcLeaseComplete ends the lease (state done) and HttpNfcLeaseAbort ends it with an
// error; an ended lease serves nothing. The control endpoint's lease-timeout (async.go) watches these
// leases too.
package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// exportLease is the lease of one ExportVm call.
type exportLease struct {
	simulator.HttpNfcLease

	mu    sync.Mutex
	disks map[string]string // device URL name -> host path of the disk's descriptor
	ended bool
}

var exportLeases = struct {
	sync.Mutex
	byID map[string]*exportLease
}{byID: map[string]*exportLease{}}

func exportLeaseByID(id string) *exportLease {
	exportLeases.Lock()
	defer exportLeases.Unlock()
	return exportLeases.byID[id]
}

func init() {
	handleSoap("ExportVm", exportVM)
}

func exportVM(c *soapCall) {
	req, ok := c.method.Body.(*types.ExportVm)
	if !ok {
		c.send(c.forward())
		return
	}
	rec := c.forward()
	if answerFaultType(rec) != "MethodNotFound" {
		c.send(rec) // the simulator's checks said no first, or a later version implements it
		return
	}
	vm := vmOf(req.This)
	if vm == nil {
		c.send(rec) // not a VM: its type has no ExportVm indeed
		return
	}
	var fault types.BaseMethodFault
	lease := &exportLease{disks: map[string]string{}}
	simulator.Map.WithLock(vm, func() {
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			fault = &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: vm.Runtime.PowerState}
			return
		}
		lease.Self = types.ManagedObjectReference{Type: "HttpNfcLease", Value: "export-" + diskRandomHex(8)}
		info := &types.HttpNfcLeaseInfo{Lease: lease.Self, Entity: vm.Self, LeaseTimeout: 300}
		devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
		var total int64
		for i, d := range disksOf(vm.Config.Hardware.Device) {
			f, ff := diskHost(vm, d.backing.FileName)
			if ff != nil {
				fault = ff
				return
			}
			if _, err := readDescriptor(f.host); err != nil {
				fault = fileFault(d.backing.FileName, err)
				return
			}
			name := fmt.Sprintf("disk-%d.vmdk", i)
			lease.disks[name] = f.host
			total += diskCapacity(d.disk)
			controller := "VirtualDisk"
			if ctl := devices.FindByKey(d.disk.ControllerKey); ctl != nil {
				controller = devices.Type(ctl)
				bus := ctl.(types.BaseVirtualController).GetVirtualController().BusNumber
				controller = fmt.Sprintf("%s%d", controller, bus)
			}
			unit := int32(0)
			if d.disk.UnitNumber != nil {
				unit = *d.disk.UnitNumber
			}
			key := fmt.Sprintf("/%s/%s:%d", vm.Self.Value, controller, unit)
			info.DeviceUrl = append(info.DeviceUrl, types.HttpNfcLeaseDeviceUrl{
				Key:       key,
				ImportKey: fmt.Sprintf("/%s/%s:%d", vm.Name, controller, unit),
				Url:       (&url.URL{Scheme: "https", Host: "*", Path: path.Join("/nfc", lease.Self.Value, name)}).String(),
				Disk:      types.NewBool(true),
				TargetId:  name,
			})
		}
		info.TotalDiskCapacityInKB = total / 1024
		lease.Info = info
		lease.State = types.HttpNfcLeaseStateReady
	})
	if fault != nil {
		writeDiskFault(c.w, "", fault)
		return
	}
	simulator.Map.Put(lease)
	exportLeases.Lock()
	exportLeases.byID[lease.Self.Value] = lease
	exportLeases.Unlock()
	writeDiskReturnval(c.w, "ExportVm", lease.Self)
}

// end ends the lease in the given state.
func (l *exportLease) end(state types.HttpNfcLeaseState, fault *types.LocalizedMethodFault) types.BaseMethodFault {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return &types.InvalidState{}
	}
	l.ended = true // kept in exportLeases: its URLs answer 404 (ended) or 403 (expired) from now on
	changes := []types.PropertyChange{{Name: "state", Val: state}}
	if fault != nil {
		changes = append(changes, types.PropertyChange{Name: "error", Val: fault})
	}
	simulator.Map.Update(l, changes)
	return nil
}

func (l *exportLease) HttpNfcLeaseComplete(ctx *simulator.Context, req *types.HttpNfcLeaseComplete) soap.HasFault {
	body := &methods.HttpNfcLeaseCompleteBody{}
	if fault := l.end(types.HttpNfcLeaseStateDone, nil); fault != nil {
		body.Fault_ = simulator.Fault("the lease has ended", fault)
		return body
	}
	body.Res = new(types.HttpNfcLeaseCompleteResponse)
	return body
}

func (l *exportLease) HttpNfcLeaseAbort(ctx *simulator.Context, req *types.HttpNfcLeaseAbort) soap.HasFault {
	body := &methods.HttpNfcLeaseAbortBody{}
	fault := req.Fault
	if fault == nil {
		fault = &types.LocalizedMethodFault{Fault: &types.RequestCanceled{}, LocalizedMessage: "aborted"}
	}
	if f := l.end(types.HttpNfcLeaseStateError, fault); f != nil {
		body.Fault_ = simulator.Fault("the lease has ended", f)
		return body
	}
	body.Res = new(types.HttpNfcLeaseAbortResponse)
	return body
}

func (l *exportLease) HttpNfcLeaseProgress(ctx *simulator.Context, req *types.HttpNfcLeaseProgress) soap.HasFault {
	body := &methods.HttpNfcLeaseProgressBody{}
	l.mu.Lock()
	ended := l.ended
	l.mu.Unlock()
	if ended {
		body.Fault_ = simulator.Fault("the lease has ended", &types.InvalidState{})
		return body
	}
	if req.Percent < 0 || req.Percent > 100 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "percent"})
		return body
	}
	simulator.Map.Update(l, []types.PropertyChange{{Name: "transferProgress", Val: req.Percent}})
	body.Res = new(types.HttpNfcLeaseProgressResponse)
	return body
}

// serve streams one disk of the lease as a stream-optimized VMDK.
func (l *exportLease) serve(w http.ResponseWriter, r *http.Request, name string) {
	l.mu.Lock()
	host, ok := l.disks[name]
	ended := l.ended
	l.mu.Unlock()
	if !ok || ended {
		http.NotFound(w, r)
		return
	}
	c, err := openDiskChain(host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer c.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	if err := writeStreamOptimized(w, c, name); err != nil {
		// Too late for a status: cut the connection so the client sees a broken transfer.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, herr := hj.Hijack(); herr == nil {
				_ = conn.Close()
			}
		}
	}
}
