package spool

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand"
	"testing"
	"unicode/utf8"
)

func TestSpoolKeepsEverythingAndSpills(t *testing.T) {
	dir := t.TempDir()
	s := &Spool{Memory: 100, Dir: dir, Hash: true}
	defer s.Close()
	var want bytes.Buffer
	rng := rand.New(rand.NewSource(1))
	for range 500 {
		b := make([]byte, rng.Intn(50))
		rng.Read(b)
		s.Write(b)
		want.Write(b)
	}
	got, err := io.ReadAll(s.Reader())
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("content differs (%d vs %d bytes), %v", len(got), want.Len(), err)
	}
	if s.file == nil {
		t.Fatal("did not spill past Memory")
	}
	if s.Sum() != sha256.Sum256(want.Bytes()) {
		t.Fatal("hash differs")
	}
	if s.LastByte() != want.Bytes()[want.Len()-1] {
		t.Fatal("last byte differs")
	}
	if _, err := s.Bytes(10); err != ErrTooLarge {
		t.Fatalf("Bytes over the limit: %v", err)
	}
}

// TestSpoolUTF8Split feeds text byte by byte and in random cuts: validity
// must be judged on the whole stream, not per write.
func TestSpoolUTF8Split(t *testing.T) {
	texts := [][]byte{[]byte("héllo wörld → ✓ 𝄞"), []byte("ok\xffok"), []byte("cut\xe2\x82"), []byte("\xe2\x82\xac"), {}}
	rng := rand.New(rand.NewSource(2))
	for _, text := range texts {
		for trial := range 20 {
			s := &Spool{}
			rest := text
			for len(rest) > 0 {
				n := 1
				if trial > 0 {
					n = 1 + rng.Intn(len(rest))
				}
				s.Write(rest[:n])
				rest = rest[n:]
			}
			if got, want := s.ValidUTF8(), utf8.Valid(text); got != want {
				t.Fatalf("%q trial %d: ValidUTF8 = %v, want %v", text, trial, got, want)
			}
		}
	}
}
