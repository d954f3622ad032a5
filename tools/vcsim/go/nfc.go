// Gap filled: govmomi 0.24's simulator discards NFC uploads (its /nfc/ handler copies a PUT or POST
// body to nowhere), and the disks of the VM that ImportVApp creates are two empty files whatever
// their capacity.
//
// ImportVApp goes through the SOAP layer of disk_soap.go: after the simulator's handler has created
// the VM and its lease, the VM's disks become real disks of their capacity (disk.go) and the lease is
// remembered. An upload to one of that lease's device URLs, while the simulator still holds the lease
// (it answers an empty upload to the same URL), then persists: a PUT of flat bytes writes the disk
// from offset 0 (what the upload does not cover reads as zeros); a POST with Content-Type
// application/x-vnd.vmware-streamVmdk is decoded (nfc_streamvmdk.go) into the disk's flat extent.
// Zero runs become holes, so an imported disk stays sparse on the host. A body that is not what its
// content type says, or is larger than the disk, is refused with 400 and the disk is left as zeros.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// importLeases maps an ImportVApp lease (its reference value) to the VM it imports into.
var importLeases = struct {
	sync.Mutex
	vm map[string]types.ManagedObjectReference
}{vm: map[string]types.ManagedObjectReference{}}

// createdVMs records the VMs the registry receives, so that the VM an ImportVApp call created can be
// told apart (the simulator returns only the lease).
type vmWatcher struct {
	mu   sync.Mutex
	seq  int
	vms  []createdVM
	self types.ManagedObjectReference
}

type createdVM struct {
	seq int
	ref types.ManagedObjectReference
}

func (w *vmWatcher) Reference() types.ManagedObjectReference { return w.self }
func (w *vmWatcher) PutObject(obj mo.Reference) {
	if vm, ok := obj.(*simulator.VirtualMachine); ok {
		w.mu.Lock()
		w.seq++
		w.vms = append(w.vms, createdVM{w.seq, vm.Self})
		if len(w.vms) > 4096 {
			w.vms = w.vms[len(w.vms)-1024:]
		}
		w.mu.Unlock()
	}
}
func (w *vmWatcher) UpdateObject(mo.Reference, []types.PropertyChange) {}
func (w *vmWatcher) RemoveObject(types.ManagedObjectReference)         {}

func (w *vmWatcher) mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// since lists the VMs created after a mark.
func (w *vmWatcher) since(mark int) []types.ManagedObjectReference {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []types.ManagedObjectReference
	for _, v := range w.vms {
		if v.seq > mark {
			out = append(out, v.ref)
		}
	}
	return out
}

var vmWatch = &vmWatcher{self: types.ManagedObjectReference{Type: "vmkitDiskLayer", Value: "vm-watcher"}}

func init() {
	beforeServe = append(beforeServe, func(m *simulator.Model) error {
		simulator.Map.AddHandler(vmWatch)
		return nil
	})
	handleSoap("ImportVApp", importVApp)
	handleSoap("HttpNfcLeaseComplete", endImportLease)
	handleSoap("HttpNfcLeaseAbort", endImportLease)
	// Innermost, next to the simulator: expiry and fault layers decide before an upload is written.
	httpLayers = append([]func(*simulator.Model, http.Handler) http.Handler{nfcLayer}, httpLayers...)
}

func importVApp(c *soapCall) {
	req, ok := c.method.Body.(*types.ImportVApp)
	if !ok {
		c.send(c.forward())
		return
	}
	spec, ok := req.Spec.(*types.VirtualMachineImportSpec)
	if !ok {
		c.send(c.forward())
		return
	}
	mark := vmWatch.mark()
	rec := c.forward()
	lease := answerReturnval(rec)
	if lease == nil || lease.Type != "HttpNfcLease" {
		c.send(rec)
		return
	}
	var vm *simulator.VirtualMachine
	for _, ref := range vmWatch.since(mark) {
		if v := vmOf(ref); v != nil && v.Name == spec.ConfigSpec.Name {
			vm = v
		}
	}
	if vm == nil {
		c.send(rec)
		return
	}
	var fault types.BaseMethodFault
	simulator.Map.WithLock(vm, func() { fault = realizeDisks(vm) })
	if fault != nil {
		destroyVM(vm)
		writeDiskFault(c.w, "", fault)
		return
	}
	importLeases.Lock()
	importLeases.vm[lease.Value] = vm.Self
	importLeases.Unlock()
	c.send(rec)
}

// endImportLease forgets a completed or aborted import lease.
func endImportLease(c *soapCall) {
	var this types.ManagedObjectReference
	switch req := c.method.Body.(type) {
	case *types.HttpNfcLeaseComplete:
		this = req.This
	case *types.HttpNfcLeaseAbort:
		this = req.This
	}
	rec := c.forward()
	if rec.Code == http.StatusOK {
		importLeases.Lock()
		delete(importLeases.vm, this.Value)
		importLeases.Unlock()
	}
	c.send(rec)
}

// nfcPath splits /nfc/<lease>/<name>.
func nfcPath(p string) (lease, name string, ok bool) {
	if !strings.HasPrefix(p, "/nfc/") {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(p, "/nfc/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func nfcLayer(m *simulator.Model, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lease, name, ok := nfcPath(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet {
			if l := exportLeaseByID(lease); l != nil {
				l.serve(w, r, name)
				return
			}
		}
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		importLeases.Lock()
		vmRef, ok := importLeases.vm[lease]
		importLeases.Unlock()
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		// The simulator still holds the lease if it accepts an empty upload to this URL.
		probe := httptest.NewRecorder()
		pr := r.Clone(r.Context())
		pr.Method = http.MethodPut
		pr.Body = io.NopCloser(bytes.NewReader(nil))
		pr.ContentLength = 0
		next.ServeHTTP(probe, pr)
		if probe.Code != http.StatusOK {
			importLeases.Lock()
			delete(importLeases.vm, lease)
			importLeases.Unlock()
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(probe.Code)
			return
		}
		vm := vmOf(vmRef)
		if vm == nil {
			http.NotFound(w, r)
			return
		}
		var host string
		simulator.Map.WithLock(vm, func() {
			for _, d := range disksOf(vm.Config.Hardware.Device) {
				if f, fault := diskHost(vm, d.backing.FileName); fault == nil && filepath.Base(f.host) == name {
					host = f.host
				}
			}
		})
		if host == "" {
			http.NotFound(w, r)
			return
		}
		stream := r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-vnd.vmware-streamvmdk")
		if err := uploadDisk(host, r.Body, stream); err != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			status := http.StatusInternalServerError
			if _, bad := err.(*errBadUpload); bad {
				status = http.StatusBadRequest
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// punchHole turns a range of a file into a hole (it reads as zeros).
func punchHole(f *os.File, off, n int64) error {
	const punch, keepSize = 0x02, 0x01 // FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
	if err := syscall.Fallocate(int(f.Fd()), punch|keepSize, off, n); err != nil {
		// No hole punching here: write the zeros.
		zero := make([]byte, 1<<20)
		for n > 0 {
			k := minI64(n, int64(len(zero)))
			if _, err := f.WriteAt(zero[:k], off); err != nil {
				return err
			}
			off, n = off+k, n-k
		}
	}
	return nil
}

// writeOrPunch writes p at off, as a hole where p is zeros.
func writeOrPunch(f *os.File, p []byte, off int64) error {
	const block = 64 << 10
	for len(p) > 0 {
		n := len(p)
		if n > block {
			n = block
		}
		var err error
		if isAllZero(p[:n]) {
			err = punchHole(f, off, int64(n))
		} else {
			_, err = f.WriteAt(p[:n], off)
		}
		if err != nil {
			return err
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// uploadDisk replaces the contents of the base disk at host with an upload: flat bytes, or a
// stream-optimized VMDK. On error the disk reads as zeros.
func uploadDisk(host string, body io.Reader, streamOptimized bool) error {
	d, err := readDescriptor(host)
	if err != nil {
		return err
	}
	if d.isDelta() {
		return fmt.Errorf("an upload goes to a base disk")
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(host), d.Extent), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	capacity := d.capacity()
	if err := punchHole(f, 0, capacity); err != nil {
		return err
	}
	fail := func(err error) error {
		_ = punchHole(f, 0, capacity)
		return err
	}
	if streamOptimized {
		if _, err := readStreamOptimized(body, capacity, func(off int64, p []byte) error { return writeOrPunch(f, p, off) }); err != nil {
			return fail(err)
		}
		return nil
	}
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if off+int64(n) > capacity {
				return fail(&errBadUpload{fmt.Sprintf("the upload is larger than the disk (%d bytes)", capacity)})
			}
			if err := writeOrPunch(f, buf[:n], off); err != nil {
				return fail(err)
			}
			off += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return nil
		}
		if rerr != nil {
			return fail(rerr)
		}
	}
}
