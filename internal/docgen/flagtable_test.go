package docgen

import (
	"os"
	"testing"
)

func TestFlagTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../../" + CompatFile)
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceFlagTable(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(b) {
		t.Errorf("%s: the per-flag table is stale: run make docs", CompatFile)
	}
}
