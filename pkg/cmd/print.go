package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-stack/kubectl-stack/pkg/table"
)

// resultAPIVersion is the apiVersion of what the verbs print with -o json,
// yaml, jsonpath or go-template: kubectl's printers need a kind, and a
// script can tell one verb's document from another's.
const resultAPIVersion = "kubectl-stack.io/v1alpha1"

// tableFlags says which of kubectl's table flags a verb has.
type tableFlags struct{ wide, noHeaders, showLabels bool }

// printFlags is kubectl's -o (json, yaml, name, jsonpath, go-template and
// their -file forms, from genericclioptions.PrintFlags) plus the flags of
// the verb's own table.
type printFlags struct {
	*genericclioptions.PrintFlags
	NoHeaders  bool
	ShowLabels bool

	table   tableFlags
	printer printers.ResourcePrinter // nil: the table
}

// newPrintFlags returns the -o flags; names offers -o name, for verbs whose
// result is a list of Kubernetes objects.
func newPrintFlags(names bool) *printFlags {
	pf := genericclioptions.NewPrintFlags("")
	if !names {
		pf.NamePrintFlags = nil
	}
	return &printFlags{PrintFlags: pf}
}

func (p *printFlags) addFlags(cmd *cobra.Command, t tableFlags) {
	p.table = t
	p.PrintFlags.AddFlags(cmd)
	cmd.Flags().Lookup("output").Usage = fmt.Sprintf("output format, one of: %s (default: a table)", strings.Join(p.formats(), ", "))
	if t.noHeaders {
		cmd.Flags().BoolVar(&p.NoHeaders, "no-headers", false, "print the table's rows alone: no header, no summary lines")
	}
	if t.showLabels {
		cmd.Flags().BoolVar(&p.ShowLabels, "show-labels", false, "add a LABELS column with each pod's labels")
	}
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(p.formats(), cobra.ShellCompDirectiveNoFileComp))
}

// formats are the -o values the verb accepts.
func (p *printFlags) formats() []string {
	out := p.AllowedFormats()
	if p.table.wide {
		out = append(out, "wide")
	}
	return out
}

func (p *printFlags) format() string { return *p.OutputFormat }

// complete builds the printer -o asks for; a format the verb does not have,
// or a template that does not parse, is a usage error.
func (p *printFlags) complete() error {
	if p.format() == "" && p.TemplatePrinterFlags.TemplateArgument != nil && *p.TemplatePrinterFlags.TemplateArgument != "" {
		// As kubectl: --template alone means -o go-template.
		*p.OutputFormat = "go-template"
	}
	switch f := p.format(); {
	case f == "" || f == "wide" && p.table.wide:
		return nil
	case !slices.Contains(p.formats(), strings.SplitN(f, "=", 2)[0]):
		return usageError(fmt.Errorf("--output %q is not supported: use one of %s, or leave it out for a table", f, strings.Join(p.formats(), ", ")))
	}
	printer, err := p.ToPrinter()
	if err != nil {
		return usageError(fmt.Errorf("--output %s: %w", p.format(), err))
	}
	p.printer = printer
	return nil
}

// human says whether the table is printed (no -o, or -o wide).
func (p *printFlags) human() bool { return p.printer == nil }

func (p *printFlags) tableOptions(w io.Writer) table.Options {
	return table.Options{Wide: p.format() == "wide", NoHeaders: p.NoHeaders, ShowLabels: p.ShowLabels, Color: printers.AllowsColorOutput(w)}
}

// output is one result of a verb, in every form -o may ask for.
type output struct {
	// kind and data are the document -o json, yaml, jsonpath and
	// go-template print; a slice becomes a List of kind.
	kind documentKind
	data any
	// names are the Kubernetes objects -o name lists.
	names []objectRef
	// table prints the default form.
	table tablePrinter
}

// tablePrinter prints a result as a table, the default form.
type tablePrinter func(io.Writer, table.Options) error

// objectRef names a Kubernetes object for -o name.
type objectRef struct{ APIVersion, Kind, Namespace, Name string }

func (p *printFlags) print(w io.Writer, out output) error {
	if p.human() {
		return out.table(w, p.tableOptions(w))
	}
	obj, err := out.object(p.format() == "name")
	if err != nil {
		return err
	}
	return p.printer.PrintObj(obj, w)
}

func (out output) object(names bool) (runtime.Object, error) {
	if names {
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}}
		for _, n := range out.names {
			u := unstructured.Unstructured{}
			u.SetAPIVersion(n.APIVersion)
			u.SetKind(n.Kind)
			u.SetNamespace(n.Namespace)
			u.SetName(n.Name)
			list.Items = append(list.Items, u)
		}
		return list, nil
	}
	return document(out.kind, out.data)
}

// document turns a verb's result into an object kubectl's printers accept:
// its JSON with apiVersion and kind, or for a slice a List with the items.
func document(kind documentKind, v any) (runtime.Object, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding the %s: %w", kind, err)
	}
	var content any
	if err := json.Unmarshal(data, &content); err != nil {
		return nil, fmt.Errorf("encoding the %s: %w", kind, err)
	}
	items, isList := content.([]any)
	if !isList {
		fields, _ := content.(map[string]any)
		return typed(kind, fields), nil
	}
	list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": resultAPIVersion, "kind": string(kind) + "List"}}
	for _, item := range items {
		fields, _ := item.(map[string]any)
		list.Items = append(list.Items, *typed(kind, fields))
	}
	return list, nil
}

func typed(kind documentKind, fields map[string]any) *unstructured.Unstructured {
	if fields == nil {
		fields = map[string]any{}
	}
	u := &unstructured.Unstructured{Object: fields}
	u.SetAPIVersion(resultAPIVersion)
	u.SetKind(string(kind))
	return u
}
