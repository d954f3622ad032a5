package main

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// fillDisk writes a few recognisable runs into a disk and returns the expected contents.
func fillDisk(t *testing.T, desc string, size int64) []byte {
	t.Helper()
	want := make([]byte, size)
	rnd := rand.New(rand.NewSource(7))
	for _, off := range []int64{0, 100000, size/2 + 12345, size - 70000} {
		chunk := make([]byte, 50000)
		rnd.Read(chunk)
		copy(want[off:], chunk)
		if err := writeDiskAt(desc, chunk, off); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func TestStreamOptimizedRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.vmdk")
	const size = 8<<20 + 512*3 // not a whole number of grains
	if err := createBaseDisk(src, size, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	want := fillDisk(t, src, size)
	stream := streamOptimizedOf(t, src, "src.vmdk")
	if stream.Len() > 1<<20 {
		t.Fatalf("the stream of a mostly empty disk is %d bytes", stream.Len())
	}
	dst := filepath.Join(dir, "dst.vmdk")
	if err := createBaseDisk(dst, size, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	if err := uploadDisk(dst, bytes.NewReader(stream.Bytes()), true); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, dst), want) {
		t.Fatal("decoded contents differ")
	}
	// qemu-img reads what we write, and we read what it writes.
	if _, err := exec.LookPath("qemu-img"); err == nil {
		exported := filepath.Join(dir, "exported.vmdk")
		if err := os.WriteFile(exported, stream.Bytes(), 0600); err != nil {
			t.Fatal(err)
		}
		raw := filepath.Join(dir, "want.raw")
		if err := os.WriteFile(raw, want, 0600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("qemu-img", "compare", "-f", "vmdk", "-F", "raw", exported, raw).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img compare: %v\n%s", err, out)
		}
		theirs := filepath.Join(dir, "theirs.vmdk")
		if out, err := exec.Command("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, theirs).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img convert: %v\n%s", err, out)
		}
		f, err := os.Open(theirs)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		again := filepath.Join(dir, "again.vmdk")
		if err := createBaseDisk(again, size, "lsiLogic", "thin"); err != nil {
			t.Fatal(err)
		}
		if err := uploadDisk(again, f, true); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readAll(t, again), want) {
			t.Fatal("qemu-img's stream decodes to other contents")
		}
	}
}

func TestUploadRefusesBadStreamsAndLeavesZeros(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "d.vmdk")
	if err := createBaseDisk(dst, 1<<20, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{nil, []byte("KDMV"), bytes.Repeat([]byte{1}, 4096)} {
		err := uploadDisk(dst, bytes.NewReader(body), true)
		if _, ok := err.(*errBadUpload); !ok {
			t.Errorf("%q: %v", body, err)
		}
	}
	if err := uploadDisk(dst, bytes.NewReader(make([]byte, 2<<20)), false); err == nil {
		t.Error("an upload larger than the disk was accepted")
	}
	if !isAllZero(readAll(t, dst)) {
		t.Error("a refused upload left bytes behind")
	}
	if err := uploadDisk(dst, bytes.NewReader([]byte("flat bytes")), false); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, dst); string(got[:10]) != "flat bytes" || !isAllZero(got[10:]) {
		t.Error("flat upload")
	}
}

// benchDisk is a 256 MiB disk whose 64 KiB grains are, in turn, random, text and never written.
func benchDisk(b *testing.B) (string, string) {
	dir := b.TempDir()
	desc := filepath.Join(dir, "bench.vmdk")
	const size = 256 << 20
	if err := createBaseDisk(desc, size, "lsiLogic", "thin"); err != nil {
		b.Fatal(err)
	}
	f, err := os.OpenFile(flatName(desc), os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewSource(1))
	grain := make([]byte, 64<<10)
	for g := 0; g < size/len(grain); g++ {
		switch g % 3 {
		case 0:
			rnd.Read(grain)
		case 1:
			copy(grain, bytes.Repeat([]byte("a line of text in a grain\n"), len(grain)/26+1))
		default:
			continue
		}
		if _, err := f.WriteAt(grain, int64(g*len(grain))); err != nil {
			b.Fatal(err)
		}
	}
	_ = f.Close()
	return dir, desc
}

// BenchmarkExportStreamOptimized: `go test -bench StreamOptimized -run XXX .`; MB/s of disk capacity.
func BenchmarkExportStreamOptimized(b *testing.B) {
	_, desc := benchDisk(b)
	b.SetBytes(256 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := openDiskChain(desc)
		if err != nil {
			b.Fatal(err)
		}
		if err := writeStreamOptimized(io.Discard, c, "bench.vmdk"); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkImportStreamOptimized decodes the export of the same disk into a new disk.
func BenchmarkImportStreamOptimized(b *testing.B) {
	dir, desc := benchDisk(b)
	stream := streamOptimizedOf(b, desc, "bench.vmdk")
	dst := filepath.Join(dir, "dst.vmdk")
	if err := createBaseDisk(dst, 256<<20, "lsiLogic", "thin"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(256 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := uploadDisk(dst, bytes.NewReader(stream.Bytes()), true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecoderSurvivesDamagedStreams flips, cuts and splices a valid stream: the decoder returns an
// error or a result, never panics, and never writes outside the disk.
func TestDecoderSurvivesDamagedStreams(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.vmdk")
	const size = 1 << 20
	if err := createBaseDisk(src, size, "lsiLogic", "thin"); err != nil {
		t.Fatal(err)
	}
	fillDisk(t, src, size)
	stream := streamOptimizedOf(t, src, "src.vmdk")
	good := stream.Bytes()
	rnd := rand.New(rand.NewSource(3))
	for i := 0; i < 300; i++ {
		bad := append([]byte(nil), good...)
		switch i % 3 {
		case 0:
			for k := 0; k < 1+rnd.Intn(8); k++ {
				bad[rnd.Intn(len(bad))] ^= byte(1 + rnd.Intn(255))
			}
		case 1:
			bad = bad[:rnd.Intn(len(bad))]
		default:
			at := rnd.Intn(len(bad))
			bad = append(bad[:at], bad[rnd.Intn(len(bad)):]...)
		}
		_, _ = readStreamOptimized(bytes.NewReader(bad), size, func(off int64, p []byte) error {
			if off < 0 || off+int64(len(p)) > size {
				t.Fatalf("case %d wrote [%d, %d) outside the disk", i, off, off+int64(len(p)))
			}
			return nil
		})
	}
}

// streamOptimizedOf encodes the disk whose descriptor is path as a streamOptimized VMDK named name.
func streamOptimizedOf(tb testing.TB, path, name string) *bytes.Buffer {
	tb.Helper()
	c, err := openDiskChain(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	var stream bytes.Buffer
	if err := writeStreamOptimized(&stream, c, name); err != nil {
		tb.Fatal(err)
	}
	return &stream
}
