// Command kindconst prints the value of a string constant of a Go source
// file of kind, e.g. the storage manifest kind's node image builder writes:
//
//	kindconst $(go env GOMODCACHE)/sigs.k8s.io/kind@v0.33.0/pkg/build/nodeimage/const_storage.go defaultStorageManifest
//
// hack/kind/build-node-image.sh builds kind's node image without kind's
// builder (which pulls images from registries); reading the constants from
// kind's own source keeps the image's manifests and image names those of
// the kind version pinned in hack/versions.env.
package main

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: kindconst FILE.go CONSTANT")
		os.Exit(2)
	}
	value, err := stringConstant(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kindconst: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(value)
}

// stringConstant type-checks the one file and evaluates the constant, so
// constants built from other constants come out whole.
func stringConstant(file, name string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		return "", err
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check(f.Name.Name, fset, []*ast.File{f}, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	c, ok := pkg.Scope().Lookup(name).(*types.Const)
	if !ok || c.Val().Kind() != constant.String {
		return "", fmt.Errorf("%s has no string constant %s", file, name)
	}
	return constant.StringVal(c.Val()), nil
}
