// Command verify checks Palisade's evidence with Go's golang.org/x/mod
// sumdb/note and sumdb/tlog packages: an implementation Palisade did not
// write. It is built and run by Palisade's tests (GOPATH mode, offline).
//
//	verify note       VKEY NOTE            a signed note verifies with VKEY
//	verify checkpoint VKEY CHECKPOINT      and is a checkpoint: origin, size, root
//	verify receipt    VKEY RECEIPT ENTRY   a c2sp.org/tlog-proof@v1 receipt proves ENTRY
//	verify tiles      VKEY DIR             a C2SP tlog-tiles log: checkpoint, tiles, entry bundles
//
// VKEY is a file holding one verifier key. It prints one line starting
// with "ok" and exits 0, or prints why not and exits 1.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if len(os.Args) < 4 {
		fail(errors.New("usage: verify note|checkpoint|receipt|tiles VKEY FILE [ENTRY]"))
	}
	verifier, err := readVerifier(os.Args[2])
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "note":
		n, err := openNote(verifier, os.Args[3])
		if err != nil {
			fail(err)
		}
		fmt.Printf("ok %d signature(s) verified, first line %q\n", len(n.Sigs), firstLine(n.Text))
	case "checkpoint":
		n, err := openNote(verifier, os.Args[3])
		if err != nil {
			fail(err)
		}
		origin, tree, err := parseCheckpoint(n.Text)
		if err != nil {
			fail(err)
		}
		fmt.Printf("ok %s %d %s\n", origin, tree.N, tree.Hash)
	case "receipt":
		if len(os.Args) != 5 {
			fail(errors.New("usage: verify receipt VKEY RECEIPT ENTRY"))
		}
		if err := checkReceipt(verifier, os.Args[3], os.Args[4]); err != nil {
			fail(err)
		}
	case "tiles":
		if err := checkTiles(verifier, os.Args[3]); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Println("fail:", err)
	os.Exit(1)
}

func readVerifier(path string) (note.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(strings.TrimSpace(string(data)))
}

func openNote(v note.Verifier, path string) (*note.Note, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return note.Open(data, note.VerifierList(v))
}

func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	return line
}

// parseCheckpoint reads the C2SP checkpoint body: origin, size, root hash,
// then optional extension lines.
func parseCheckpoint(text string) (string, tlog.Tree, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return "", tlog.Tree{}, errors.New("checkpoint has fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint size %q is not a number", lines[1])
	}
	hash, err := tlog.ParseHash(lines[2])
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint root: %v", err)
	}
	return lines[0], tlog.Tree{N: size, Hash: hash}, nil
}

// checkReceipt verifies a c2sp.org/tlog-proof@v1 receipt: its checkpoint
// with the verifier, and the inclusion of ENTRY's record hash at its index.
func checkReceipt(v note.Verifier, receiptPath, entryPath string) error {
	data, err := os.ReadFile(receiptPath)
	if err != nil {
		return err
	}
	entry, err := os.ReadFile(entryPath)
	if err != nil {
		return err
	}
	head, ckpt, found := bytes.Cut(data, []byte("\n\n"))
	if !found {
		return errors.New("receipt has no blank line before its checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return fmt.Errorf("receipt header is %q", lines[0])
	}
	index := int64(-1)
	var proof tlog.RecordProof
	for _, line := range lines[1:] {
		switch {
		case strings.HasPrefix(line, "extra "):
		case strings.HasPrefix(line, "index "):
			index, err = strconv.ParseInt(strings.TrimPrefix(line, "index "), 10, 64)
			if err != nil {
				return fmt.Errorf("receipt index: %v", err)
			}
		default:
			h, err := tlog.ParseHash(line)
			if err != nil {
				return fmt.Errorf("receipt proof hash %q: %v", line, err)
			}
			proof = append(proof, h)
		}
	}
	if index < 0 {
		return errors.New("receipt names no index")
	}
	n, err := note.Open(ckpt, note.VerifierList(v))
	if err != nil {
		return err
	}
	origin, tree, err := parseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
		return err
	}
	fmt.Printf("ok %s entry %d of %d\n", origin, index, tree.N)
	return nil
}

// tilePath is a tile's path under C2SP tlog-tiles: no height segment, the
// index in three-digit groups, and `.p/W` for a partial tile.
func tilePath(t tlog.Tile) string {
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	n := t.N
	groups := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		groups = fmt.Sprintf("x%03d/%s", n%1000, groups)
	}
	p := "tile/" + level + "/" + groups
	if t.W != 1<<uint(t.H) {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(tilePath(t))))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// checkTiles verifies the checkpoint, authenticates every level-0 hash
// through the hash tiles against the checkpoint's root, and checks that
// each entry of the entry bundles hashes to its authenticated leaf.
func checkTiles(v note.Verifier, dir string) error {
	n, err := openNote(v, filepath.Join(dir, "checkpoint"))
	if err != nil {
		return err
	}
	origin, tree, err := parseCheckpoint(n.Text)
	if err != nil {
		return err
	}
	indexes := make([]int64, tree.N)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := tlog.TileHashReader(tree, dirTiles{dir}).ReadHashes(indexes)
	if err != nil {
		return err
	}
	for start := int64(0); start < tree.N; start += 256 {
		width := tree.N - start
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(width)}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tilePath(t))))
		if err != nil {
			return err
		}
		for i := int64(0); i < width; i++ {
			if len(data) < 2 {
				return fmt.Errorf("%s: entry %d: truncated length", tilePath(t), start+i)
			}
			size := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+size {
				return fmt.Errorf("%s: entry %d: truncated data", tilePath(t), start+i)
			}
			if tlog.RecordHash(data[2:2+size]) != leaves[start+i] {
				return fmt.Errorf("%s: entry %d does not hash to its leaf", tilePath(t), start+i)
			}
			data = data[2+size:]
		}
		if len(data) != 0 {
			return fmt.Errorf("%s: %d bytes after the last entry", tilePath(t), len(data))
		}
	}
	fmt.Printf("ok %s %d entries\n", origin, tree.N)
	return nil
}
