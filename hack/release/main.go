// Command release builds kubectl-stack for every platform krew serves and
// the project's images (the watcher, the plugin) for every Linux platform,
// reproducibly: -trimpath, no VCS stamp, fixed file times and owners in the
// archives, so two builds of one commit give byte-identical archives and
// the same image digests. It writes the archives, their .sha256 files, the
// images as an OCI layout archive, the prod kustomizations pinned to the
// images' digests (out/pinned/overlays/prod, out/pinned/params/prod; the plugin built
// here embeds them) and the krew manifest:
//
//	go run ./hack/release --version v0.1.0 [--out dist] [--platforms linux/amd64,...]
//	    [--image-platforms linux/amd64,linux/arm64] [--revision COMMIT]
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"golang.org/x/mod/semver"

	"github.com/kubectl-stack/kubectl-stack/hack/images/imagebuild"
	"github.com/kubectl-stack/kubectl-stack/pkg/front"
)

// AllPlatforms are the ones the krew manifest lists.
var AllPlatforms = []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}

// ImagePlatforms are the platforms of the images' indexes.
var ImagePlatforms = []string{"linux/amd64", "linux/arm64"}

//go:embed krew-manifest.yaml.tmpl
var manifestTemplate string

const module = "github.com/kubectl-stack/kubectl-stack"

func main() {
	version := flag.String("version", "", "release version, vMAJOR.MINOR.PATCH")
	out := flag.String("out", "dist", "folder for the archives and the manifest")
	platforms := flag.String("platforms", strings.Join(AllPlatforms, ","), "os/arch list of the plugin's archives (empty: only the images)")
	imagePlatforms := flag.String("image-platforms", strings.Join(ImagePlatforms, ","), "os/arch list of the images")
	revision := flag.String("revision", "", "source revision in the images' labels (default: the newest commit that changed what the programs are built from)")
	flag.Parse()
	err := run(*version, *out, *revision, list(*platforms), list(*imagePlatforms))
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// list splits a comma-separated flag; empty is none.
func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Platform is one built archive, as the manifest lists it.
type Platform struct {
	OS, Arch, Archive, SHA256, Bin string
	Files                          []string
}

func run(version, out, revision string, platforms, imagePlatforms []string) error {
	if !semver.IsValid(version) || semver.Canonical(version) != version {
		return fmt.Errorf("--version %q is not a release version: use vMAJOR.MINOR.PATCH, such as v0.1.0", version)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	stamp, err := sourceDate()
	if err != nil {
		return err
	}
	if revision == "" {
		if revision, err = gitOutput(append([]string{"log", "-1", "--format=%H"}, sourcePaths()...)...); err != nil || revision == "" {
			return fmt.Errorf("no --revision and no git commit to take it from: %v", err)
		}
	}
	plats, err := imagebuild.ParsePlatforms(imagePlatforms)
	if err != nil {
		return fmt.Errorf("--image-platforms: %w", err)
	}
	imgs, goOverlay, err := buildImages(version, revision, out, stamp, plats)
	if err != nil {
		return err
	}
	var built []Platform
	for _, p := range platforms {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("--platforms: %q is not os/arch", p)
		}
		plat, err := buildPlatform(version, out, goos, goarch, goOverlay, stamp)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		built = append(built, plat)
		fmt.Fprintf(os.Stderr, "built %s (sha256 %s)\n", plat.Archive, plat.SHA256[:12])
	}
	manifest, err := Render(Release{Version: version, Platforms: built, Images: imgs, ImagesArchive: imagesArchiveName(version)})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "krew-manifest.yaml"), manifest, 0o644)
}

// Release is what the krew manifest says of a release.
type Release struct {
	Version       string
	Platforms     []Platform
	Images        []Image
	ImagesArchive string
}

// Render fills the krew manifest template.
func Render(r Release) ([]byte, error) {
	t, err := template.New("manifest").Parse(manifestTemplate)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = t.Execute(&buf, r)
	return buf.Bytes(), err
}

// sourcePaths are git pathspecs of what the programs are built from: the
// Go code, its modules and the manifests the plugin embeds, but not the
// files the release writes (the pinned kustomizations), so the commit that
// records a release's digests, or one that changes only documentation,
// builds the same digests again.
func sourcePaths() []string {
	paths := []string{"--", "*.go", "go.mod", "go.sum", "base", "overlays", "components", "params"}
	for _, f := range pinnedFiles {
		paths = append(paths, ":(exclude)"+f)
	}
	return paths
}

// sourceDate is the time every archived file carries: SOURCE_DATE_EPOCH
// when set (the reproducible-builds convention), else the time of the
// source's newest commit (sourcePaths).
func sourceDate() (time.Time, error) {
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		var err error
		if epoch, err = gitOutput(append([]string{"log", "-1", "--format=%ct"}, sourcePaths()...)...); err != nil {
			return time.Time{}, fmt.Errorf("no SOURCE_DATE_EPOCH and no git commit to take the time from: %w", err)
		}
	}
	var sec int64
	if _, err := fmt.Sscan(epoch, &sec); err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not seconds since 1970", epoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// gitOutput runs git and returns its output's one line.
func gitOutput(args ...string) (string, error) {
	out, err := exec.Command("git", args...).Output()
	return strings.TrimSpace(string(out)), err
}

// buildPlatform compiles the plugin's two binaries (kubectl-stack and the
// verbs binary it runs beside it) for one platform, with the pinned
// kustomizations of goOverlay, and archives them.
func buildPlatform(version, out, goos, goarch, goOverlay string, stamp time.Time) (Platform, error) {
	work, err := os.MkdirTemp("", "kubectl-stack-release-")
	if err != nil {
		return Platform{}, err
	}
	defer os.RemoveAll(work)
	bin, verbs := "kubectl-stack", front.VerbsBinary
	if goos == "windows" {
		bin, verbs = bin+".exe", verbs+".exe"
	}
	ldflags := fmt.Sprintf("-s -w -buildid= -X %s/pkg/version.Version=%s", module, version)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-overlay", goOverlay, "-o", work+string(filepath.Separator), "./cmd/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return Platform{}, fmt.Errorf("go build: %v: %s", err, msg)
	}
	files := []archiveFile{{name: bin, path: filepath.Join(work, bin), mode: 0o755}, {name: verbs, path: filepath.Join(work, verbs), mode: 0o755}, {name: "LICENSE", path: "LICENSE", mode: 0o644}}
	if goos != "windows" {
		files = append(files, archiveFile{name: "kubectl_complete-stack", path: "hack/release/kubectl_complete-stack", mode: 0o755})
	}
	p := Platform{OS: goos, Arch: goarch, Bin: bin}
	for _, f := range files {
		p.Files = append(p.Files, f.name)
	}
	p.Archive = archiveName(version, goos, goarch)
	write := writeTarGz
	if goos == "windows" {
		write = writeZip
	}
	data, err := write(files, stamp)
	if err != nil {
		return Platform{}, err
	}
	p.SHA256 = sha256Hex(data)
	if err := os.WriteFile(filepath.Join(out, p.Archive), data, 0o644); err != nil {
		return Platform{}, err
	}
	return p, os.WriteFile(filepath.Join(out, p.Archive+".sha256"), []byte(p.SHA256+"  "+p.Archive+"\n"), 0o644)
}

// archiveName is a platform's archive: zip for Windows, tar.gz elsewhere.
func archiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubectl-stack_%s_%s_%s%s", version, goos, goarch, ext)
}
