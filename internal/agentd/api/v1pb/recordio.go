package v1pb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// MaxRecord bounds one RecordIO record a Reader accepts.
const MaxRecord = 16 << 20

// RecordReader reads RecordIO records.
type RecordReader struct {
	r *bufio.Reader
}

// NewRecordReader returns a reader of the records in r.
func NewRecordReader(r io.Reader) *RecordReader { return &RecordReader{r: bufio.NewReader(r)} }

// Next returns the next record, or io.EOF after the last one. A length
// that is not a decimal number, larger than MaxRecord, or a stream that
// ends inside a record is an error.
func (rr *RecordReader) Next() ([]byte, error) {
	header, err := rr.r.ReadString('\n')
	if err == io.EOF && header == "" {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("RecordIO: truncated record header %q", header)
	}
	n, err := strconv.ParseUint(header[:len(header)-1], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("RecordIO: bad record length %q", header[:len(header)-1])
	}
	if n > MaxRecord {
		return nil, fmt.Errorf("RecordIO: record of %d bytes is larger than %d", n, MaxRecord)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(rr.r, msg); err != nil {
		return nil, fmt.Errorf("RecordIO: record of %d bytes is truncated", n)
	}
	return msg, nil
}
