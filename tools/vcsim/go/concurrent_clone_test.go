package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// Concurrent linked clones of one snapshot all succeed, as on vCenter, each with a delta of its own
// in its own folder on top of the snapshot's file, and the source keeps its disk.
func TestConcurrentLinkedClonesOfOneSnapshot(t *testing.T) {
	f := newVMFixture(t)
	vm := f.createVM("base", 1<<10)
	snap := f.must(vm.CreateSnapshot(f.ctx, "base", "", false, false)).(types.ManagedObjectReference)
	_, sb := f.disk(vm)
	parent := f.host(sb.Parent.FileName)
	const rounds, n = 5, 6
	for r := 0; r < rounds; r++ {
		refs := make([]types.ManagedObjectReference, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res, err := f.wait(vm.Clone(f.ctx, f.folder, fmt.Sprintf("c%d-%d", r, i), types.VirtualMachineCloneSpec{
					Snapshot: &snap, Location: types.VirtualMachineRelocateSpec{DiskMoveType: "createNewChildDiskBacking"},
				}))
				if err == nil {
					refs[i] = res.(types.ManagedObjectReference)
				}
				errs[i] = err
			}(i)
		}
		wg.Wait()
		seen := map[string]string{}
		for i, err := range errs {
			name := fmt.Sprintf("c%d-%d", r, i)
			if err != nil {
				t.Fatalf("clone %s: %v", name, err)
			}
			_, b := f.disk(object.NewVirtualMachine(f.c, refs[i]))
			if !strings.Contains(b.FileName, "] "+name+"/") {
				t.Fatalf("clone %s has the disk %s, outside its folder", name, b.FileName)
			}
			if other, ok := seen[b.FileName]; ok {
				t.Fatalf("clones %s and %s share the disk %s", other, name, b.FileName)
			}
			seen[b.FileName] = name
			if b.Parent == nil || f.host(b.Parent.FileName) != parent {
				t.Fatalf("clone %s: disk %s has parent %+v, want %s", name, b.FileName, b.Parent, parent)
			}
			if d, err := readDescriptor(f.host(b.FileName)); err != nil || !d.isDelta() || resolveParent(f.host(b.FileName), d.ParentHint) != parent {
				t.Fatalf("clone %s: descriptor %+v %v", name, d, err)
			}
		}
		if _, b := f.disk(vm); b.FileName != sb.FileName {
			t.Fatalf("round %d: the source's disk became %s (was %s)", r, b.FileName, sb.FileName)
		}
	}
}

// Concurrent callers on one parent each get a delta of their own: picking the name and creating the
// delta are one step.
func TestConcurrentDeltasOnOneParentGetDistinctNames(t *testing.T) {
	root := t.TempDir()
	parent := filepath.Join(root, "vm", "disk.vmdk")
	if err := createBaseDisk(parent, 1<<20, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	const n = 32
	names := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			names[i], errs[i] = createNextDelta(parent, root)
		}(i)
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for i := range names {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if seen[names[i]] {
			t.Fatalf("two callers got %s", names[i])
		}
		seen[names[i]] = true
		if d, err := readDescriptor(names[i]); err != nil || !d.isDelta() || resolveParent(names[i], d.ParentHint) != parent {
			t.Fatalf("%s: %+v %v", names[i], d, err)
		}
	}
	if want := fmt.Sprintf("%s-%06d.vmdk", strings.TrimSuffix(parent, ".vmdk"), n); !seen[want] {
		t.Fatalf("the names are not the first %d free ones: %v", n, names)
	}
}
