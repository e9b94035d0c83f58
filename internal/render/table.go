package render

import (
	"bytes"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// Align is the alignment of a table column.
type Align int

// Column alignments.
const (
	AlignLeft Align = iota
	AlignRight
)

// Table is the human form of a command's result.
type Table struct {
	Headers []string   // shown upper-cased
	Rows    [][]string // cells; newlines and tabs are shown as spaces
	Align   []Align    // per column; missing entries are AlignLeft
}

// AddRow appends a row.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

const (
	columnGap      = 2
	minColumnWidth = 6
)

// Render writes the table to ios.Out. On a terminal the header is bold
// (when colour is enabled) and wide columns are truncated with "…" to fit
// ios.TerminalWidth(); piped output is plain space-aligned text with no
// escape codes and no truncation.
func (t *Table) Render(ios *iostreams.IOStreams) error {
	rows := t.normalized()
	if len(rows) == 0 {
		return nil
	}
	var out bytes.Buffer
	if !ios.StdoutTTY {
		writePlainRows(&out, rows, t.Align)
		_, err := ios.Out.Write(out.Bytes())
		return err
	}
	widths := columnWidths(rows)
	fitWidths(widths, ios.TerminalWidth())
	header := func(s string) string { return s }
	if ios.ColorEnabled() && len(t.Headers) > 0 {
		r := lipgloss.NewRenderer(ios.Out)
		r.SetColorProfile(termenv.ANSI)
		style := r.NewStyle().Bold(true)
		header = func(s string) string { return style.Render(s) }
	}
	for i, row := range rows {
		cells := make([]string, len(row))
		for j, c := range row {
			if ansi.StringWidth(c) > widths[j] {
				c = ansi.Truncate(c, widths[j], "…")
			}
			cells[j] = c
		}
		style := func(s string) string { return s }
		if i == 0 && len(t.Headers) > 0 {
			style = header
		}
		writeRow(&out, cells, widths, t.Align, style)
	}
	_, err := ios.Out.Write(out.Bytes())
	return err
}

// normalized returns header + rows, all of the same length, with
// whitespace control characters replaced by spaces.
func (t *Table) normalized() [][]string {
	n := len(t.Headers)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	clean := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")
	var rows [][]string
	add := func(r []string, upper bool) {
		row := make([]string, n)
		for i := range r {
			row[i] = clean.Replace(r[i])
			if upper {
				row[i] = strings.ToUpper(row[i])
			}
		}
		rows = append(rows, row)
	}
	if len(t.Headers) > 0 {
		add(t.Headers, true)
	}
	for _, r := range t.Rows {
		add(r, false)
	}
	return rows
}

func columnWidths(rows [][]string) []int {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	return widths
}

// fitWidths narrows the widest columns, one cell at a time, until the row
// fits in total (or every column is down to minColumnWidth).
func fitWidths(widths []int, total int) {
	sum := func() int {
		s := columnGap * (len(widths) - 1)
		for _, w := range widths {
			s += w
		}
		return s
	}
	for excess := sum() - total; excess > 0; excess-- {
		widest := 0
		for i, w := range widths {
			if w > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= minColumnWidth {
			return
		}
		widths[widest]--
	}
}

func writePlainRows(out *bytes.Buffer, rows [][]string, align []Align) {
	widths := columnWidths(rows)
	for _, r := range rows {
		writeRow(out, r, widths, align, func(s string) string { return s })
	}
}

// writeRow pads cells to widths, separated by columnGap spaces, with no
// trailing spaces after a left-aligned last column.
func writeRow(out *bytes.Buffer, cells []string, widths []int, align []Align, style func(string) string) {
	var line strings.Builder
	for i, c := range cells {
		pad := widths[i] - ansi.StringWidth(c)
		right := i < len(align) && align[i] == AlignRight
		if right && pad > 0 {
			line.WriteString(strings.Repeat(" ", pad))
		}
		line.WriteString(style(c))
		if i == len(cells)-1 {
			break
		}
		if !right && pad > 0 {
			line.WriteString(strings.Repeat(" ", pad))
		}
		line.WriteString(strings.Repeat(" ", columnGap))
	}
	out.WriteString(strings.TrimRight(line.String(), " "))
	out.WriteByte('\n')
}
