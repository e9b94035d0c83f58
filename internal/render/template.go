package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// templateProgram is a parsed --template.
type templateProgram struct {
	src  string
	tmpl *template.Template
}

// templateFuncs are the helpers available to --template, besides the
// text/template builtins. tablerow is bound per run.
func templateFuncs(rows *[][]string, order *keyOrder) template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			enc := &jqEncoder{order: order}
			if err := enc.encode(v, 0); err != nil {
				return "", err
			}
			return enc.buf.String(), nil
		},
		"join": func(sep string, v any) (string, error) {
			list, ok := v.([]any)
			if !ok {
				return "", fmt.Errorf("join: expected a list, got %s", typeName(v))
			}
			parts := make([]string, len(list))
			for i, el := range list {
				parts[i] = plainString(el)
			}
			return strings.Join(parts, sep), nil
		},
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"tablerow": func(cells ...any) string {
			row := make([]string, len(cells))
			for i, c := range cells {
				row[i] = plainString(c)
			}
			*rows = append(*rows, row)
			return ""
		},
	}
}

// plainString renders a JSON value for text output: strings as they are,
// numbers like jq, null as empty, anything else as compact JSON.
func plainString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return fmt.Sprint(x)
	case map[string]any, []any:
		enc := &jqEncoder{}
		if err := enc.encode(x, 0); err != nil {
			return fmt.Sprint(x)
		}
		return enc.buf.String()
	}
	if f, ok := toFloat(v); ok {
		return formatNumber(f)
	}
	return fmt.Sprint(v)
}

func compileTemplate(src string) (*templateProgram, error) {
	t, err := template.New("--template").Option("missingkey=zero").Funcs(templateFuncs(nil, nil)).Parse(src)
	if err != nil {
		return nil, usageErrorf("invalid --template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return &templateProgram{src: src, tmpl: t}, nil
}

func (p *templateProgram) run(w io.Writer, input []byte) error {
	order := newKeyOrder()
	v, err := decodeOrdered(input, order)
	if err != nil {
		return err
	}
	var rows [][]string
	t, err := p.tmpl.Clone()
	if err != nil {
		return err
	}
	t.Funcs(templateFuncs(&rows, order))
	var out bytes.Buffer
	if err := t.Execute(&out, toTemplateValue(v)); err != nil {
		return fmt.Errorf("--template failed: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if len(rows) > 0 {
		writePlainRows(&out, rows, nil)
	}
	_, err = w.Write(out.Bytes())
	return err
}

// toTemplateValue replaces float64 numbers by Number, which prints like jq.
func toTemplateValue(v any) any {
	switch x := v.(type) {
	case float64:
		return Number(x)
	case []any:
		for i := range x {
			x[i] = toTemplateValue(x[i])
		}
	case map[string]any:
		for k, el := range x {
			x[k] = toTemplateValue(el)
		}
	}
	return v
}
