// Gap filled: govmomi 0.24's simulator keeps no disk contents. CreateVirtualDisk_Task makes two empty
// files whatever the size and type, and nothing reads or writes a disk's bytes.
//
// This file is the one on-disk representation of a virtual disk on a simulator datastore, as vSphere
// has it on VMFS and NFS, and the code that reads, writes, copies and resizes it:
//
//   - a base disk is a text descriptor `name.vmdk` (createType "vmfs", one extent line
//     `RW <sectors> VMFS "name-flat.vmdk"`, a disk database with ddb.adapterType, diskGeometry, uuid,
//     ddb.thinProvisioned for thin disks) and a raw `name-flat.vmdk` of exactly the capacity, sparse on
//     the host's file system (a 10 GiB disk costs nothing until written);
//   - a delta disk (snapshots, linked clones) is a descriptor with createType "vmfsSparse",
//     parentCID and parentFileNameHint (the parent's descriptor: a path relative to the delta's folder
//     when on the same datastore, else the parent's absolute host path) and one extent
//     `RW <sectors> VMFSSPARSE "name-delta.vmdk"`. The delta extent is vmkit's simple format, not
//     VMware's COWD: a raw file in which every byte that the host's file system stores (SEEK_DATA) is
//     the child's, and every hole, and everything past the file's end, reads through to the parent.
//     Writes to a delta copy the parent's block first (copy on write, 4 KiB blocks), so a written zero
//     stays the child's.
//
// Reading a disk reads through its whole chain; the data ranges of a chain (the union of its files'
// allocated ranges) let copies and exports skip what was never written.
package main

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

const (
	sectorSize = 512
	// cowBlock is the copy-on-write unit of a delta extent (the host file system's block).
	cowBlock = 4096
	// maxChain bounds the length of a delta chain (and catches a chain that loops).
	maxChain = 64
)

// diskDescriptor is the parsed text descriptor of a disk.
type diskDescriptor struct {
	CID        string
	ParentCID  string
	CreateType string // "vmfs" (flat) or "vmfsSparse" (delta)
	Sectors    int64
	ExtentKind string // "VMFS" or "VMFSSPARSE"
	Extent     string // extent file name, relative to the descriptor's folder
	ParentHint string
	DDB        map[string]string
}

func (d *diskDescriptor) capacity() int64 { return d.Sectors * sectorSize }
func (d *diskDescriptor) isDelta() bool   { return d.CreateType == "vmfsSparse" }

// diskTypeOf names the VirtualDiskType of a base disk.
func (d *diskDescriptor) diskType() string {
	if t := d.DDB["ddb.vmkit.diskType"]; t != "" {
		return t
	}
	if d.DDB["ddb.thinProvisioned"] == "1" {
		return "thin"
	}
	return "preallocated"
}

// descriptorAdapter maps a VirtualDiskAdapterType to the descriptor's ddb.adapterType.
func descriptorAdapter(adapter string) string {
	switch strings.ToLower(adapter) {
	case "ide":
		return "ide"
	case "buslogic":
		return "buslogic"
	case "paravirtual", "pvscsi":
		return "pvscsi"
	default: // lsiLogic, lsiLogicsas and anything SCSI
		return "lsilogic"
	}
}

func diskRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func newUUIDText() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	parts := make([]string, 16)
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts[:8], " ") + "-" + strings.Join(parts[8:], " ")
}

// diskGeometry is the classic CHS diskGeometry ESX writes for a disk of this many sectors.
func diskGeometry(sectors int64) (cylinders, heads, perTrack int64) {
	heads, perTrack = 255, 63
	cylinders = sectors / (heads * perTrack)
	if cylinders > 65535 {
		cylinders = 65535
	}
	if cylinders < 1 {
		cylinders = 1
	}
	return
}

func (d *diskDescriptor) text() string {
	var b strings.Builder
	b.WriteString("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\n")
	fmt.Fprintf(&b, "CID=%s\nparentCID=%s\n", d.CID, d.ParentCID)
	fmt.Fprintf(&b, "createType=%q\n", d.CreateType)
	if d.ParentHint != "" {
		fmt.Fprintf(&b, "parentFileNameHint=%q\n", d.ParentHint)
	}
	fmt.Fprintf(&b, "\n# Extent description\nRW %d %s %q\n\n# The Disk Data Base\n#DDB\n\n", d.Sectors, d.ExtentKind, d.Extent)
	keys := make([]string, 0, len(d.DDB))
	for k := range d.DDB {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %q\n", k, d.DDB[k])
	}
	return b.String()
}

func diskUnquote(s string) string {
	s = strings.TrimSpace(s)
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return strings.Trim(s, "\"")
}

// parseDescriptor parses a descriptor; anything else (a binary file, a descriptor without one extent
// of a kind this representation knows) is an error.
func parseDescriptor(text string) (*diskDescriptor, error) {
	if len(text) > 64<<10 || strings.IndexByte(text, 0) >= 0 {
		return nil, fmt.Errorf("not a disk descriptor")
	}
	d := &diskDescriptor{DDB: map[string]string{}}
	extents := 0
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "RW ") || strings.HasPrefix(line, "RDONLY ") {
			f := strings.Fields(line)
			if len(f) < 4 {
				return nil, fmt.Errorf("bad extent line %q", line)
			}
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad extent size in %q", line)
			}
			d.Sectors, d.ExtentKind = n, f[2]
			d.Extent = diskUnquote(strings.Join(f[3:], " "))
			extents++
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			continue
		}
		k, v := strings.TrimSpace(line[:eq]), diskUnquote(line[eq+1:])
		switch {
		case k == "CID":
			d.CID = v
		case k == "parentCID":
			d.ParentCID = v
		case k == "createType":
			d.CreateType = v
		case k == "parentFileNameHint":
			d.ParentHint = v
		case strings.HasPrefix(k, "ddb."):
			d.DDB[k] = v
		}
	}
	if extents != 1 || d.Extent == "" || strings.ContainsAny(d.Extent, "/\\") {
		return nil, fmt.Errorf("a disk descriptor needs exactly one extent in its own folder")
	}
	switch {
	case d.CreateType == "vmfs" && d.ExtentKind == "VMFS":
	case d.CreateType == "vmfsSparse" && d.ExtentKind == "VMFSSPARSE" && d.ParentHint != "":
	default:
		return nil, fmt.Errorf("unsupported disk (createType %q, extent %q)", d.CreateType, d.ExtentKind)
	}
	return d, nil
}

func readDescriptor(file string) (*diskDescriptor, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return nil, err
	}
	d, err := parseDescriptor(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Base(file), err)
	}
	return d, nil
}

// writeFileAtomic writes a small file through a temporary name, so a reader never sees half of it.
func writeFileAtomic(file string, data []byte) error {
	tmp := fmt.Sprintf("%s.tmp-%s", file, diskRandomHex(4))
	if err := os.WriteFile(tmp, data, 0600); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func writeDescriptor(file string, d *diskDescriptor) error {
	return writeFileAtomic(file, []byte(d.text()))
}

// extentNames names the extent files of a disk descriptor `name.vmdk`.
func flatName(desc string) string  { return strings.TrimSuffix(desc, ".vmdk") + "-flat.vmdk" }
func deltaName(desc string) string { return strings.TrimSuffix(desc, ".vmdk") + "-delta.vmdk" }

// baseDDB is the disk database of a new disk.
func baseDDB(sectors int64, adapter, diskType string) map[string]string {
	c, h, s := diskGeometry(sectors)
	ddb := map[string]string{
		"ddb.adapterType":            descriptorAdapter(adapter),
		"ddb.diskGeometry.cylinders": strconv.FormatInt(c, 10),
		"ddb.diskGeometry.heads":     strconv.FormatInt(h, 10),
		"ddb.diskGeometry.sectors":   strconv.FormatInt(s, 10),
		"ddb.longContentID":          diskRandomHex(16),
		"ddb.uuid":                   newUUIDText(),
		"ddb.virtualHWVersion":       "13",
	}
	switch diskType {
	case "thin":
		ddb["ddb.thinProvisioned"] = "1"
	case "eagerZeroedThick":
		ddb["ddb.vmkit.diskType"] = "eagerZeroedThick"
	}
	return ddb
}

// errExists is returned when a file that a disk operation would create is there already.
type errExists struct{ file string }

func (e *errExists) Error() string { return e.file + " exists" }

// createBaseDisk creates a base disk of the given capacity (bytes, rounded up to whole sectors):
// descriptor plus a sparse flat extent. Nothing is left behind on failure.
func createBaseDisk(desc string, capacity int64, adapter, diskType string) error {
	sectors := (capacity + sectorSize - 1) / sectorSize
	flat := flatName(desc)
	for _, f := range []string{desc, flat} {
		if _, err := os.Lstat(f); err == nil {
			return &errExists{f}
		}
	}
	if err := os.MkdirAll(filepath.Dir(desc), 0700); err != nil {
		return err
	}
	f, err := os.OpenFile(flat, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600)
	if err != nil {
		return err
	}
	err = f.Truncate(sectors * sectorSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = writeDescriptor(desc, &diskDescriptor{
			CID: diskRandomHex(4), ParentCID: "ffffffff", CreateType: "vmfs", Sectors: sectors,
			ExtentKind: "VMFS", Extent: filepath.Base(flat), DDB: baseDDB(sectors, adapter, diskType),
		})
	}
	if err != nil {
		_ = os.Remove(flat)
		return err
	}
	return nil
}

// parentHintFor is how a delta at `child` names its parent descriptor `parent`.
func parentHintFor(child, parent, datastoreRoot string) string {
	if datastoreRoot != "" && strings.HasPrefix(parent, datastoreRoot+string(filepath.Separator)) {
		if rel, err := filepath.Rel(filepath.Dir(child), parent); err == nil {
			return rel
		}
	}
	return parent
}

// resolveParent turns a parentFileNameHint into a host path.
func resolveParent(child string, hint string) string {
	if filepath.IsAbs(hint) {
		return hint
	}
	return filepath.Join(filepath.Dir(child), hint)
}

// createDeltaDisk creates a delta disk `desc` on top of the disk `parent` (both host paths of
// descriptors), with the parent's capacity and an empty (all-hole) delta extent.
func createDeltaDisk(desc, parent, datastoreRoot string) error {
	pd, err := readDescriptor(parent)
	if err != nil {
		return err
	}
	delta := deltaName(desc)
	for _, f := range []string{desc, delta} {
		if _, err := os.Lstat(f); err == nil {
			return &errExists{f}
		}
	}
	if err := os.MkdirAll(filepath.Dir(desc), 0700); err != nil {
		return err
	}
	f, err := os.OpenFile(delta, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0600)
	if err != nil {
		return err
	}
	_ = f.Close()
	ddb := map[string]string{}
	for k, v := range pd.DDB {
		ddb[k] = v
	}
	ddb["ddb.longContentID"] = diskRandomHex(16)
	delete(ddb, "ddb.thinProvisioned")
	delete(ddb, "ddb.vmkit.diskType")
	err = writeDescriptor(desc, &diskDescriptor{
		CID: diskRandomHex(4), ParentCID: pd.CID, CreateType: "vmfsSparse", Sectors: pd.Sectors,
		ExtentKind: "VMFSSPARSE", Extent: filepath.Base(delta), ParentHint: parentHintFor(desc, parent, datastoreRoot), DDB: ddb,
	})
	if err != nil {
		_ = os.Remove(delta)
		return err
	}
	return nil
}

// diskRange is a half-open range [off, end) of a disk.
type diskRange struct{ off, end int64 }

const (
	seekData = 3 // SEEK_DATA
	seekHole = 4 // SEEK_HOLE
)

// storedRanges lists the ranges of a file that the host file system stores (the rest are holes),
// clipped to limit.
func storedRanges(f *os.File, limit int64) ([]diskRange, error) {
	var out []diskRange
	fd := int(f.Fd())
	var off int64
	for off < limit {
		start, err := syscall.Seek(fd, off, seekData)
		if err != nil {
			if err == syscall.ENXIO { // no data after off
				break
			}
			if err == syscall.EINVAL { // no SEEK_DATA here: the whole file is data
				st, serr := f.Stat()
				if serr != nil {
					return nil, serr
				}
				if st.Size() > off {
					out = append(out, diskRange{off, minI64(st.Size(), limit)})
				}
				break
			}
			return nil, err
		}
		if start >= limit {
			break
		}
		end, err := syscall.Seek(fd, start, seekHole)
		if err != nil {
			return nil, err
		}
		out = append(out, diskRange{start, minI64(end, limit)})
		off = end
	}
	return out, nil
}

func minI64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// unionDiskRanges merges sorted-or-not ranges into sorted, disjoint ones.
func unionDiskRanges(rs []diskRange) []diskRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].off < rs[j].off })
	var out []diskRange
	for _, r := range rs {
		if r.end <= r.off {
			continue
		}
		if n := len(out); n > 0 && r.off <= out[n-1].end {
			if r.end > out[n-1].end {
				out[n-1].end = r.end
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// chainLayer is one open file of a disk chain.
type chainLayer struct {
	desc   string
	d      *diskDescriptor
	f      *os.File
	ranges []diskRange // stored ranges of the extent (deltas), nil for flat extents
}

// diskChain reads a disk through its delta chain. Layer 0 is the disk itself, the last the base.
type diskChain struct {
	layers   []*chainLayer
	capacity int64
}

// openDiskChain opens the disk whose descriptor is `desc` (a host path), and its parents.
func openDiskChain(desc string) (*diskChain, error) {
	c := &diskChain{}
	seen := map[string]bool{}
	cur := desc
	for {
		abs, _ := filepath.Abs(cur)
		if seen[abs] || len(c.layers) >= maxChain {
			c.Close()
			return nil, fmt.Errorf("%s: the delta chain loops or is too long", filepath.Base(desc))
		}
		seen[abs] = true
		d, err := readDescriptor(cur)
		if err != nil {
			c.Close()
			return nil, err
		}
		f, err := os.Open(filepath.Join(filepath.Dir(cur), d.Extent))
		if err != nil {
			c.Close()
			return nil, err
		}
		l := &chainLayer{desc: cur, d: d, f: f}
		c.layers = append(c.layers, l)
		if len(c.layers) == 1 {
			c.capacity = d.capacity()
		}
		if !d.isDelta() {
			return c, nil
		}
		if l.ranges, err = storedRanges(f, d.capacity()); err != nil {
			c.Close()
			return nil, err
		}
		cur = resolveParent(cur, d.ParentHint)
	}
}

func (c *diskChain) Close() {
	for _, l := range c.layers {
		_ = l.f.Close()
	}
}

// base is the chain's flat base disk.
func (c *diskChain) base() *chainLayer { return c.layers[len(c.layers)-1] }

// ReadAt reads the disk's bytes: each byte from the topmost layer that stores it.
func (c *diskChain) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.capacity {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if int64(n) > c.capacity-off {
		n = int(c.capacity - off)
		err = io.EOF
	}
	if rerr := c.readLayer(0, p[:n], off); rerr != nil {
		return 0, rerr
	}
	return n, err
}

func (c *diskChain) readLayer(i int, p []byte, off int64) error {
	if len(p) == 0 {
		return nil
	}
	if i >= len(c.layers) {
		for j := range p {
			p[j] = 0
		}
		return nil
	}
	l := c.layers[i]
	if !l.d.isDelta() {
		// A flat extent shorter than the capacity (an older size) reads as zeros past its end.
		m, err := l.f.ReadAt(p, off)
		if err != nil && err != io.EOF {
			return err
		}
		for j := m; j < len(p); j++ {
			p[j] = 0
		}
		return nil
	}
	end := off + int64(len(p))
	pos := off
	for _, r := range l.ranges {
		if r.end <= pos {
			continue
		}
		if r.off >= end {
			break
		}
		if r.off > pos {
			if err := c.readLayer(i+1, p[pos-off:r.off-off], pos); err != nil {
				return err
			}
			pos = r.off
		}
		stop := minI64(r.end, end)
		if _, err := l.f.ReadAt(p[pos-off:stop-off], pos); err != nil && err != io.EOF {
			return err
		}
		pos = stop
	}
	return c.readLayer(i+1, p[pos-off:], pos)
}

// storedRanges is the union of the stored ranges of every layer: outside them the disk reads zeros.
func (c *diskChain) storedRanges() ([]diskRange, error) {
	var all []diskRange
	for _, l := range c.layers {
		if l.d.isDelta() {
			all = append(all, l.ranges...)
			continue
		}
		rs, err := storedRanges(l.f, c.capacity)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return unionDiskRanges(all), nil
}

// diskFiles lists the files of one disk (descriptor and extent), not its parents.
func diskFiles(desc string) ([]string, *diskDescriptor, error) {
	d, err := readDescriptor(desc)
	if err != nil {
		return nil, nil, err
	}
	return []string{desc, filepath.Join(filepath.Dir(desc), d.Extent)}, d, nil
}

// copyDiskFlat writes the contents of the disk chain at `src` into a new base disk `dst`
// (consolidating any deltas), copying only stored ranges so that the copy stays sparse.
func copyDiskFlat(src, dst, adapter, diskType string) error {
	c, err := openDiskChain(src)
	if err != nil {
		return err
	}
	defer c.Close()
	top := c.layers[0].d
	if adapter == "" {
		adapter = top.DDB["ddb.adapterType"]
	}
	if diskType == "" {
		diskType = c.base().d.diskType()
	}
	if err := createBaseDisk(dst, c.capacity, adapter, diskType); err != nil {
		return err
	}
	if err := copyRanges(c, flatName(dst)); err != nil {
		_ = os.Remove(dst)
		_ = os.Remove(flatName(dst))
		return err
	}
	return nil
}

func copyRanges(c *diskChain, extent string) error {
	out, err := os.OpenFile(extent, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	ranges, err := c.storedRanges()
	if err != nil {
		_ = out.Close()
		return err
	}
	if err := copyStoredRanges(c, out, ranges, true); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// copyStoredRanges copies each range of in to the same offsets of out, 1 MiB at a time; with
// skipZeros, chunks that are all zero are not written (out's holes stay holes).
func copyStoredRanges(in io.ReaderAt, out io.WriterAt, ranges []diskRange, skipZeros bool) error {
	buf := make([]byte, 1<<20)
	for _, r := range ranges {
		for pos := r.off; pos < r.end; {
			n := int(minI64(int64(len(buf)), r.end-pos))
			if _, err := in.ReadAt(buf[:n], pos); err != nil && err != io.EOF {
				return err
			}
			if !skipZeros || !isAllZero(buf[:n]) {
				if _, err := out.WriteAt(buf[:n], pos); err != nil {
					return err
				}
			}
			pos += int64(n)
		}
	}
	return nil
}

func isAllZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// copyDiskAsIs copies one disk's own files (a delta stays a delta on the same parent).
func copyDiskAsIs(src, dst, datastoreRoot string) error {
	files, d, err := diskFiles(src)
	if err != nil {
		return err
	}
	if !d.isDelta() {
		return copyDiskFlat(src, dst, "", "")
	}
	parent := resolveParent(src, d.ParentHint)
	if err := createDeltaDisk(dst, parent, datastoreRoot); err != nil {
		return err
	}
	if err := copySparseFile(files[1], deltaName(dst)); err != nil {
		_ = os.Remove(dst)
		_ = os.Remove(deltaName(dst))
		return err
	}
	return nil
}

// copySparseFile copies a file's stored ranges only (holes stay holes).
func copySparseFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0600)
	if err != nil {
		return err
	}
	ranges, err := storedRanges(in, st.Size())
	if err == nil {
		err = out.Truncate(st.Size())
	}
	if err == nil {
		err = copyStoredRanges(in, out, ranges, false)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// extendDisk grows a disk (its descriptor and, for a flat disk, the extent) to newCapacity bytes.
// It refuses to shrink (the caller turns errShrink into vCenter's fault).
func extendDisk(desc string, newCapacity int64) error {
	d, err := readDescriptor(desc)
	if err != nil {
		return err
	}
	sectors := (newCapacity + sectorSize - 1) / sectorSize
	if sectors < d.Sectors {
		return errShrink
	}
	if sectors == d.Sectors {
		return nil
	}
	if !d.isDelta() {
		if err := os.Truncate(filepath.Join(filepath.Dir(desc), d.Extent), sectors*sectorSize); err != nil {
			return err
		}
	}
	d.Sectors = sectors
	c, h, s := diskGeometry(sectors)
	d.DDB["ddb.diskGeometry.cylinders"], d.DDB["ddb.diskGeometry.heads"], d.DDB["ddb.diskGeometry.sectors"] =
		strconv.FormatInt(c, 10), strconv.FormatInt(h, 10), strconv.FormatInt(s, 10)
	return writeDescriptor(desc, d)
}

var errShrink = fmt.Errorf("a disk cannot shrink")

// inflateDisk turns a thin disk into an eagerly zeroed thick one. The extent stays sparse on the
// host (the simulator's datastores are not VMFS); the descriptor says what vSphere would report.
func inflateDisk(desc string) error {
	d, err := readDescriptor(desc)
	if err != nil {
		return err
	}
	if d.isDelta() {
		return fmt.Errorf("a delta disk cannot be inflated")
	}
	delete(d.DDB, "ddb.thinProvisioned")
	d.DDB["ddb.vmkit.diskType"] = "eagerZeroedThick"
	return writeDescriptor(desc, d)
}

// writeDiskAt writes p at off into the disk's top layer (copy on write for a delta).
func writeDiskAt(desc string, p []byte, off int64) error {
	c, err := openDiskChain(desc)
	if err != nil {
		return err
	}
	defer c.Close()
	if off < 0 || off+int64(len(p)) > c.capacity {
		return fmt.Errorf("write past the end of the disk")
	}
	top := c.layers[0]
	f, err := os.OpenFile(filepath.Join(filepath.Dir(desc), top.d.Extent), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if top.d.isDelta() && len(p) > 0 {
		// Bring the partly written blocks at both ends into the delta first.
		first := off / cowBlock * cowBlock
		last := (off + int64(len(p)) - 1) / cowBlock * cowBlock
		for _, b := range []int64{first, last} {
			blk := make([]byte, minI64(cowBlock, c.capacity-b))
			if _, err := c.ReadAt(blk, b); err != nil && err != io.EOF {
				_ = f.Close()
				return err
			}
			if _, err := f.WriteAt(blk, b); err != nil {
				_ = f.Close()
				return err
			}
		}
	}
	_, err = f.WriteAt(p, off)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
