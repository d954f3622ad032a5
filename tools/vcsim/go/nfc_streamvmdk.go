// Gap filled: govmomi 0.24's simulator neither reads nor writes VMDK streams, so NFC uploads are
// discarded and there is nothing to serve for an export.
//
// This file is the stream-optimized VMDK codec (VMware's "Virtual Disk Format 5.0": a sparse header
// with compressed grains and markers, metadata at the end), in Go with compress/zlib:
//   - readStreamOptimized decodes a stream as it arrives (grain markers in any order, GT/GD/footer
//     markers skipped, up to the end-of-stream marker or, as qemu-img writes them, the end of the
//     body after a whole grain), writing each grain at its offset;
//   - writeStreamOptimized encodes a disk chain as it is read: header (gdOffset "at end"),
//     descriptor, one compressed grain per 64 KiB grain that holds data (grains that were never
//     written, or read as zeros, are skipped), then the grain tables, the grain directory, the footer
//     and the end-of-stream marker. qemu-img reads what it writes.
package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

const (
	vmdkMagic        = 0x564d444b // "KDMV"
	vmdkFlagNewline  = 1 << 0
	vmdkFlagCompress = 1 << 16
	vmdkFlagMarkers  = 1 << 17
	vmdkGDAtEnd      = ^uint64(0)
	grainSectors     = 128 // 64 KiB grains
	gtesPerGT        = 512
	markerEOS        = 0
	markerGT         = 1
	markerGD         = 2
	markerFooter     = 3
)

type sparseHeader struct {
	Magic            uint32
	Version          uint32
	Flags            uint32
	Capacity         uint64
	GrainSize        uint64
	DescriptorOffset uint64
	DescriptorSize   uint64
	NumGTEsPerGT     uint32
	RgdOffset        uint64
	GdOffset         uint64
	OverHead         uint64
	UncleanShutdown  uint8
	SingleEndLine    byte
	NonEndLine       byte
	DoubleEndLine1   byte
	DoubleEndLine2   byte
	CompressAlgo     uint16
}

func (h *sparseHeader) bytes() []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, h)
	out := make([]byte, sectorSize)
	copy(out, b.Bytes())
	return out
}

// errBadUpload is an upload that is not what it says it is (the client's error, answered with 400).
type errBadUpload struct{ why string }

func (e *errBadUpload) Error() string { return e.why }

func badStream(why string) error {
	return &errBadUpload{"not a valid stream-optimized VMDK: " + why}
}

// readStreamOptimized decodes a stream-optimized VMDK from r, calling write for every grain (data
// of at most one grain, at a byte offset below capacity). It returns the disk capacity the header
// declares.
func readStreamOptimized(r io.Reader, capacity int64, write func(off int64, p []byte) error) (int64, error) {
	hb := make([]byte, sectorSize)
	if _, err := io.ReadFull(r, hb); err != nil {
		return 0, badStream("no header")
	}
	var h sparseHeader
	_ = binary.Read(bytes.NewReader(hb), binary.LittleEndian, &h)
	if h.Magic != vmdkMagic {
		return 0, badStream("bad magic number")
	}
	if h.Flags&vmdkFlagCompress == 0 || h.Flags&vmdkFlagMarkers == 0 || h.CompressAlgo != 1 {
		return 0, badStream("not compressed with markers")
	}
	if h.GrainSize == 0 || h.GrainSize > 2048 || h.GrainSize&(h.GrainSize-1) != 0 {
		return 0, badStream("bad grain size")
	}
	declared := int64(h.Capacity) * sectorSize
	if h.Capacity > uint64(1)<<40 || declared > capacity {
		return 0, badStream(fmt.Sprintf("capacity %d bytes exceeds the disk's %d", declared, capacity))
	}
	grainBytes := int64(h.GrainSize) * sectorSize
	pos := uint64(1) // sectors consumed
	if h.OverHead < pos || h.OverHead > 1<<20 {
		return 0, badStream("bad overhead")
	}
	if _, err := io.CopyN(io.Discard, r, int64(h.OverHead-pos)*sectorSize); err != nil {
		return 0, badStream("truncated metadata")
	}
	sector := make([]byte, sectorSize)
	grain := make([]byte, grainBytes)
	var compressed []byte
	for {
		if n, err := io.ReadFull(r, sector[:12]); err != nil {
			if n == 0 && err == io.EOF {
				// qemu-img ends its streams after the last grain (its grain tables are up front).
				return declared, nil
			}
			return 0, badStream("truncated marker")
		}
		val := binary.LittleEndian.Uint64(sector[0:8])
		size := binary.LittleEndian.Uint32(sector[8:12])
		if size == 0 {
			if _, err := io.ReadFull(r, sector[12:]); err != nil {
				return 0, badStream("truncated marker")
			}
			switch binary.LittleEndian.Uint32(sector[12:16]) {
			case markerEOS:
				return declared, nil
			case markerGT, markerGD, markerFooter:
				if val > 1<<24 {
					return 0, badStream("metadata too large")
				}
				if _, err := io.CopyN(io.Discard, r, int64(val)*sectorSize); err != nil {
					return 0, badStream("truncated metadata")
				}
			default:
				return 0, badStream("unknown marker")
			}
			continue
		}
		if int64(size) > 2*grainBytes+1024 {
			return 0, badStream("grain too large")
		}
		if cap(compressed) < int(size) {
			compressed = make([]byte, size)
		}
		compressed = compressed[:size]
		if _, err := io.ReadFull(r, compressed); err != nil {
			return 0, badStream("truncated grain")
		}
		if pad := (sectorSize - (12+int64(size))%sectorSize) % sectorSize; pad > 0 {
			if _, err := io.CopyN(io.Discard, r, pad); err != nil {
				return 0, badStream("truncated grain")
			}
		}
		off := int64(val) * sectorSize
		if val%h.GrainSize != 0 || off >= declared {
			return 0, badStream(fmt.Sprintf("grain at sector %d", val))
		}
		zr, err := zlib.NewReader(bytes.NewReader(compressed))
		if err != nil {
			return 0, badStream("grain not zlib: " + err.Error())
		}
		n, err := io.ReadFull(zr, grain)
		if err != nil && err != io.ErrUnexpectedEOF {
			return 0, badStream("grain does not inflate: " + err.Error())
		}
		if extra, _ := zr.Read(make([]byte, 1)); extra > 0 {
			return 0, badStream("grain larger than the grain size")
		}
		_ = zr.Close()
		if int64(n) > declared-off {
			n = int(declared - off)
		}
		if err := write(off, grain[:n]); err != nil {
			return 0, err
		}
	}
}

// streamDescriptor is the descriptor embedded in an exported stream.
func streamDescriptor(capacity int64, ddb map[string]string, name string) string {
	d := &diskDescriptor{
		CID: diskRandomHex(4), ParentCID: "ffffffff", CreateType: "streamOptimized",
		Sectors: capacity / sectorSize, ExtentKind: "SPARSE", Extent: name, DDB: map[string]string{},
	}
	c, hd, s := diskGeometry(d.Sectors)
	d.DDB["ddb.adapterType"] = "lsilogic"
	if a := ddb["ddb.adapterType"]; a != "" {
		d.DDB["ddb.adapterType"] = a
	}
	d.DDB["ddb.geometry.cylinders"] = strconv.FormatInt(c, 10)
	d.DDB["ddb.geometry.heads"] = strconv.FormatInt(hd, 10)
	d.DDB["ddb.geometry.sectors"] = strconv.FormatInt(s, 10)
	d.DDB["ddb.longContentID"] = diskRandomHex(16)
	d.DDB["ddb.virtualHWVersion"] = "13"
	return d.text()
}

// sectorWriter counts what it writes, in bytes.
type sectorWriter struct {
	w io.Writer
	n int64
}

func (s *sectorWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

func (s *sectorWriter) pad() error {
	if r := s.n % sectorSize; r != 0 {
		_, err := s.Write(make([]byte, sectorSize-r))
		return err
	}
	return nil
}

func (s *sectorWriter) marker(val uint64, kind uint32) error {
	m := make([]byte, sectorSize)
	binary.LittleEndian.PutUint64(m[0:8], val)
	binary.LittleEndian.PutUint32(m[12:16], kind)
	_, err := s.Write(m)
	return err
}

// writeStreamOptimized encodes the disk chain as a stream-optimized VMDK named `name`.
func writeStreamOptimized(w io.Writer, c *diskChain, name string) error {
	capacity := c.capacity
	sectors := (capacity + sectorSize - 1) / sectorSize
	desc := []byte(streamDescriptor(sectors*sectorSize, c.layers[0].d.DDB, name))
	descSectors := (int64(len(desc)) + sectorSize - 1) / sectorSize
	h := sparseHeader{
		Magic: vmdkMagic, Version: 3, Flags: vmdkFlagNewline | vmdkFlagCompress | vmdkFlagMarkers,
		Capacity: uint64(sectors), GrainSize: grainSectors, DescriptorOffset: 1, DescriptorSize: uint64(descSectors),
		NumGTEsPerGT: gtesPerGT, GdOffset: vmdkGDAtEnd, OverHead: uint64(1 + descSectors),
		SingleEndLine: '\n', NonEndLine: ' ', DoubleEndLine1: '\r', DoubleEndLine2: '\n', CompressAlgo: 1,
	}
	sw := &sectorWriter{w: w}
	if _, err := sw.Write(h.bytes()); err != nil {
		return err
	}
	if _, err := sw.Write(desc); err != nil {
		return err
	}
	if err := sw.pad(); err != nil {
		return err
	}

	grainBytes := int64(grainSectors * sectorSize)
	numGrains := (sectors + grainSectors - 1) / grainSectors
	numGTs := (numGrains + gtesPerGT - 1) / gtesPerGT
	gts := map[int64][]uint32{} // grain table index -> entries (sector offsets)
	ranges, err := c.storedRanges()
	if err != nil {
		return err
	}
	buf := make([]byte, grainBytes)
	var zbuf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&zbuf, zlib.BestSpeed)
	last := int64(-1)
	for _, r := range ranges {
		for g := r.off / grainBytes; g*grainBytes < r.end; g++ {
			if g <= last {
				continue
			}
			last = g
			off := g * grainBytes
			for i := range buf {
				buf[i] = 0
			}
			if _, err := c.ReadAt(buf, off); err != nil && err != io.EOF {
				return err
			}
			if isAllZero(buf) {
				continue
			}
			zbuf.Reset()
			zw.Reset(&zbuf)
			if _, err := zw.Write(buf); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if sw.n/sectorSize > int64(^uint32(0)) {
				return fmt.Errorf("the stream is too large for a grain table")
			}
			t := g / gtesPerGT
			if gts[t] == nil {
				gts[t] = make([]uint32, gtesPerGT)
			}
			gts[t][g%gtesPerGT] = uint32(sw.n / sectorSize)
			var head [12]byte
			binary.LittleEndian.PutUint64(head[0:8], uint64(off/sectorSize))
			binary.LittleEndian.PutUint32(head[8:12], uint32(zbuf.Len()))
			if _, err := sw.Write(head[:]); err != nil {
				return err
			}
			if _, err := sw.Write(zbuf.Bytes()); err != nil {
				return err
			}
			if err := sw.pad(); err != nil {
				return err
			}
		}
	}
	gd := make([]uint32, numGTs)
	gtSectors := uint64(gtesPerGT * 4 / sectorSize)
	for t := int64(0); t < numGTs; t++ {
		entries := gts[t]
		if entries == nil {
			continue
		}
		if err := sw.marker(gtSectors, markerGT); err != nil {
			return err
		}
		gd[t] = uint32(sw.n / sectorSize)
		if err := binary.Write(sw, binary.LittleEndian, entries); err != nil {
			return err
		}
	}
	gdSectors := (int64(len(gd))*4 + sectorSize - 1) / sectorSize
	if err := sw.marker(uint64(gdSectors), markerGD); err != nil {
		return err
	}
	gdOffset := sw.n / sectorSize
	if err := binary.Write(sw, binary.LittleEndian, gd); err != nil {
		return err
	}
	if err := sw.pad(); err != nil {
		return err
	}
	if err := sw.marker(1, markerFooter); err != nil {
		return err
	}
	h.GdOffset = uint64(gdOffset)
	if _, err := sw.Write(h.bytes()); err != nil {
		return err
	}
	return sw.marker(0, markerEOS)
}
