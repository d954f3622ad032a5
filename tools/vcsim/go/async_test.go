package main

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func taskInfo(t *testing.T, c *vim25.Client, ref types.ManagedObjectReference) types.TaskInfo {
	t.Helper()
	var task mo.Task
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, ref, &task); err != nil {
		t.Fatal(err)
	}
	return task.Info
}

func TestTaskDelayRunsTasksAsynchronouslyWithProgress(t *testing.T) {
	r, c := testServer(t, "-control", "-vm", "1", "-cluster", "0")
	ctx := context.Background()
	vm := firstVM(t, c)
	control(t, r, "task-delay", `{"ms":1500}`)

	res, err := methods.ReconfigVM_Task(ctx, c, &types.ReconfigVM_Task{This: vm.Self, Spec: types.VirtualMachineConfigSpec{Annotation: "async"}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[types.TaskInfoState]bool{}
	progressed := false
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
		info := taskInfo(t, c, res.Returnval)
		states[info.State] = true
		if info.State == types.TaskInfoStateRunning && info.Progress > 0 {
			progressed = true
		}
		if info.State == types.TaskInfoStateSuccess {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !states[types.TaskInfoStateQueued] && !states[types.TaskInfoStateRunning] || !states[types.TaskInfoStateSuccess] || !progressed {
		t.Fatalf("states seen %v, progress seen %v", states, progressed)
	}

	// A failing task fails after the delay, with its fault.
	res2, err := methods.PowerOnVM_Task(ctx, c, &types.PowerOnVM_Task{This: vm.Self})
	if err != nil {
		t.Fatal(err)
	}
	if info := taskInfo(t, c, res2.Returnval); info.State == types.TaskInfoStateError || info.State == types.TaskInfoStateSuccess {
		t.Fatalf("task finished at once: %v", info.State)
	}
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
		info := taskInfo(t, c, res2.Returnval)
		if info.State == types.TaskInfoStateError {
			if _, ok := info.Error.Fault.(*types.InvalidPowerState); !ok {
				t.Fatalf("fault %T", info.Error.Fault)
			}
			break
		}
		if info.State == types.TaskInfoStateSuccess {
			t.Fatal("powering on a powered-on VM succeeded")
		}
		time.Sleep(20 * time.Millisecond)
	}

	control(t, r, "reset", `{}`)
	res, err = methods.ReconfigVM_Task(ctx, c, &types.ReconfigVM_Task{This: vm.Self, Spec: types.VirtualMachineConfigSpec{Annotation: "sync"}})
	if err != nil || taskInfo(t, c, res.Returnval).State != types.TaskInfoStateSuccess {
		t.Fatalf("after reset tasks finish at once: %v", err)
	}
}

func importLease(t *testing.T, c *vim25.Client, vm mo.VirtualMachine, name string) types.ManagedObjectReference {
	t.Helper()
	var pool mo.ResourcePool
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, *vm.ResourcePool, &pool); err != nil {
		t.Fatal(err)
	}
	var folder types.ManagedObjectReference = *vm.Parent
	res, err := methods.ImportVApp(context.Background(), c, &types.ImportVApp{This: *vm.ResourcePool, Folder: &folder,
		Spec: &types.VirtualMachineImportSpec{ConfigSpec: types.VirtualMachineConfigSpec{Name: name, GuestId: "otherGuest",
			Files: &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Returnval
}

func leaseState(t *testing.T, c *vim25.Client, ref types.ManagedObjectReference) mo.HttpNfcLease {
	t.Helper()
	var l mo.HttpNfcLease
	if err := mo.RetrieveProperties(context.Background(), c, c.ServiceContent.PropertyCollector, ref, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLeaseTimeoutExpiresLeasesWithoutProgress(t *testing.T) {
	r, c := testServer(t, "-control", "-vm", "1", "-cluster", "0")
	ctx := context.Background()
	vm := firstVM(t, c)
	control(t, r, "lease-timeout", `{"ms":800}`)

	idle := importLease(t, c, vm, "idle")
	busy := importLease(t, c, vm, "busy")
	deadline := time.Now().Add(20 * time.Second)
	for leaseState(t, c, idle).State != types.HttpNfcLeaseStateError && time.Now().Before(deadline) {
		if _, err := methods.HttpNfcLeaseProgress(ctx, c, &types.HttpNfcLeaseProgress{This: busy, Percent: 10}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	l := leaseState(t, c, idle)
	if l.State != types.HttpNfcLeaseStateError || l.Error == nil {
		t.Fatalf("the idle lease did not expire: %v", l.State)
	}
	if _, ok := l.Error.Fault.(*types.Timedout); !ok {
		t.Fatalf("expired with %T", l.Error.Fault)
	}
	_, err := methods.HttpNfcLeaseProgress(ctx, c, &types.HttpNfcLeaseProgress{This: idle, Percent: 50})
	if !soap.IsSoapFault(err) {
		t.Fatalf("progress on an expired lease: %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.Timedout); !ok {
		t.Fatalf("progress on an expired lease: %v", err)
	}
	if s := leaseState(t, c, busy).State; s != types.HttpNfcLeaseStateReady {
		t.Fatalf("the lease with progress is %v", s)
	}
	if _, err := methods.HttpNfcLeaseComplete(ctx, c, &types.HttpNfcLeaseComplete{This: busy}); err != nil {
		t.Fatal(err)
	}
}

func TestLeaseTimeoutExpiresExportLeases(t *testing.T) {
	r, c := testServer(t, "-control", "-vm", "1", "-cluster", "0")
	ctx := context.Background()
	vm := firstVM(t, c)
	off, err := methods.PowerOffVM_Task(ctx, c, &types.PowerOffVM_Task{This: vm.Self})
	if err != nil || taskInfo(t, c, off.Returnval).State != types.TaskInfoStateSuccess {
		t.Fatalf("power off: %v", err)
	}
	control(t, r, "lease-timeout", `{"ms":200}`)
	res, err := methods.ExportVm(ctx, c, &types.ExportVm{This: vm.Self})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for leaseState(t, c, res.Returnval).State != types.HttpNfcLeaseStateError && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if l := leaseState(t, c, res.Returnval); l.State != types.HttpNfcLeaseStateError {
		t.Fatalf("the export lease did not expire: %v", l.State)
	}
}
