package packaging

import (
	"bytes"
	"debug/pe"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// These tests look at the packages `make package-linux` and
// `make package-windows` left in $KASSE_DIST, which `make package-check`
// sets to dist/. Without it they skip, so `make test` does not depend on
// what an earlier packaging run left behind. $KASSE_PACKAGES names the
// targets whose packages must be there (package-check: package-linux, as
// CI builds it): a missing package or checking tool of those fails the
// test instead of skipping it. Other targets' tests skip, saying which
// target builds them.

func distDir() string { return os.Getenv("KASSE_DIST") }

// required reports whether target's packages must be checked.
func required(target string) bool {
	return slices.Contains(strings.Fields(os.Getenv("KASSE_PACKAGES")), target)
}

// missing skips the test, or fails it when target's packages are required.
func missing(t *testing.T, target, format string, args ...any) {
	t.Helper()
	if required(target) {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func TestMain(m *testing.M) {
	if distDir() == "" {
		fmt.Println("packaging: skipped; run `make package-check` after `make package-linux` / `make package-windows`")
	}
	os.Exit(m.Run())
}

// newest returns the most recent file matching pattern in dist, and the part
// of its name that pattern's * matched (the version).
func newest(t *testing.T, pattern, target string) (path, version string) {
	t.Helper()
	if distDir() == "" {
		t.Skip("KASSE_DIST is not set: run `make package-check`")
	}
	matches, _ := filepath.Glob(filepath.Join(distDir(), pattern))
	if len(matches) == 0 {
		missing(t, target, "no %s in %s: run `make %s` first", pattern, distDir(), target)
	}
	sort.Slice(matches, func(i, j int) bool {
		a, _ := os.Stat(matches[i])
		b, _ := os.Stat(matches[j])
		return a.ModTime().After(b.ModTime())
	})
	prefix, suffix, _ := strings.Cut(pattern, "*")
	name := filepath.Base(matches[0])
	return matches[0], strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix)
}

func need(t *testing.T, target string, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			missing(t, target, "%s is not installed", p)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// DLLs every Windows 10/11 has; anything else (libgcc_s, libwinpthread,
// sqlite3.dll, glfw3.dll) would have to be shipped and is a build mistake.
var systemDLLs = map[string]bool{
	"kernel32.dll": true, "user32.dll": true, "gdi32.dll": true, "opengl32.dll": true, "shell32.dll": true,
	"advapi32.dll": true, "ws2_32.dll": true, "winmm.dll": true, "ntdll.dll": true, "msvcrt.dll": true,
	"imm32.dll": true, "ole32.dll": true, "oleaut32.dll": true, "dwmapi.dll": true, "shcore.dll": true,
	"comdlg32.dll": true, "crypt32.dll": true, "bcrypt.dll": true, "secur32.dll": true, "iphlpapi.dll": true,
	"userenv.dll": true, "setupapi.dll": true, "uxtheme.dll": true, "version.dll": true, "powrprof.dll": true,
	"dnsapi.dll": true, "netapi32.dll": true, "mswsock.dll": true, "comctl32.dll": true,
}

func TestPackageWindowsExe(t *testing.T) {
	if distDir() == "" {
		t.Skip("KASSE_DIST is not set: run `make package-check`")
	}
	exe := filepath.Join(distDir(), "kasse.exe")
	if _, err := os.Stat(exe); err != nil {
		missing(t, "package-windows", "no kasse.exe in %s: run `make package-windows` first", distDir())
	}
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatalf("not a PE file: %v", err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x, want x86-64", f.Machine)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatal("not PE32+ (64-bit)")
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("subsystem %d, want Windows GUI (%d): a console window would open beside the till", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	libs, err := importedDLLs(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		l = strings.ToLower(l)
		if !systemDLLs[l] && !strings.HasPrefix(l, "api-ms-win-") {
			t.Errorf("imports %s, which Windows does not ship", l)
		}
	}
	if !contains(libs, "opengl32.dll") {
		t.Errorf("does not import opengl32.dll: is this the Fyne till? imports %v", libs)
	}

	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("no resources: icon, manifest and version information are missing")
	}
	data, err := rsrc.Data()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ProductVersion", "kasse.exe"} {
		if !bytes.Contains(data, utf16le(want)) {
			t.Errorf("version information lacks %q", want)
		}
	}
	if !bytes.Contains(data, []byte("PerMonitorV2")) {
		t.Error("the manifest (DPI awareness) is not embedded")
	}
	if setup, version := newestSetup(t); setup != "" && !bytes.Contains(data, utf16le(version)) {
		t.Errorf("kasse.exe does not carry the installer's version %s: rebuild both with `make package-windows`", version)
	}

	// A till without SQLite cannot keep its sales: it must be linked in, not a DLL.
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if linksSQLite(t) && !bytes.Contains(raw, []byte("SQLite format 3")) {
		t.Error("SQLite is not compiled into kasse.exe (built before the till used it? run `make package-windows`)")
	}
}

// importedDLLs lists the DLLs f imports from (debug/pe's ImportedLibraries
// is not implemented and returns nothing).
func importedDLLs(f *pe.File) ([]string, error) {
	syms, err := f.ImportedSymbols()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var dlls []string
	for _, s := range syms {
		_, dll, ok := strings.Cut(s, ":")
		if ok && !seen[dll] {
			seen[dll] = true
			dlls = append(dlls, dll)
		}
	}
	return dlls, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// linksSQLite reports whether the till's main package depends on the SQLite driver.
func linksSQLite(t *testing.T) bool {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/kasse-pos/kasse").Output()
	if err != nil {
		t.Logf("go list: %v (not checking for SQLite)", err)
		return false
	}
	return strings.Contains(string(out), "github.com/mattn/go-sqlite3\n")
}

func newestSetup(t *testing.T) (path, version string) {
	matches, _ := filepath.Glob(filepath.Join(distDir(), "kasse-*-setup.exe"))
	if len(matches) == 0 {
		return "", ""
	}
	return newest(t, "kasse-*-setup.exe", "package-windows")
}

func TestPackageWindowsInstaller(t *testing.T) {
	setup, version := newest(t, "kasse-*-setup.exe", "package-windows")
	f, err := pe.Open(setup)
	if err != nil {
		t.Fatalf("the installer is not a Windows program: %v", err)
	}
	f.Close()
	raw, err := os.ReadFile(setup)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("NullsoftInst")) {
		t.Error("no NSIS archive in the installer")
	}
	exe, err := os.Stat(filepath.Join(distDir(), "kasse.exe"))
	if err == nil && int64(len(raw)) < exe.Size()/10 {
		t.Errorf("installer %d bytes, kasse.exe %d: the program cannot be inside", len(raw), exe.Size())
	}
	if !bytes.Contains(raw, utf16le(version)) && !bytes.Contains(raw, []byte(version)) {
		t.Errorf("the installer does not carry its version %s", version)
	}

	// 7-Zip reads NSIS archives: the installer must hold this very kasse.exe
	// and an uninstaller, without running it (no wine).
	if _, err := exec.LookPath("7z"); err != nil {
		t.Log("7z (p7zip-full) is not installed: not looking inside the installer")
		return
	}
	listing := run(t, "7z", "l", setup)
	for _, want := range []string{" kasse.exe\n", " uninstall.exe\n", " catalog-sample.csv\n"} {
		if !strings.Contains(listing, want) {
			t.Errorf("the installer lacks%s", strings.TrimSuffix(want, "\n"))
		}
	}
	dir := t.TempDir()
	run(t, "7z", "x", "-o"+dir, setup, "kasse.exe")
	inside, err := os.ReadFile(filepath.Join(dir, "kasse.exe"))
	if err != nil {
		t.Fatal(err)
	}
	built, err := os.ReadFile(filepath.Join(distDir(), "kasse.exe"))
	if err == nil && !bytes.Equal(inside, built) {
		t.Error("the installer holds another kasse.exe than dist/kasse.exe: run `make package-windows`")
	}
}

// The MSI installs this very kasse.exe for all users, with the desktop
// shortcut and the kiosk start as features that the DESKTOPSHORTCUT and
// KIOSK properties turn on, and refuses Windows before 10.
func TestPackageWindowsMSI(t *testing.T) {
	msi, version := newest(t, "kasse-*.msi", "package-windows")
	need(t, "package-windows", "msiinfo", "msiextract")
	table := func(name string) string { return strings.ReplaceAll(run(t, "msiinfo", "export", msi, name), "\r", "") }
	for _, want := range []string{"\nTill\t", "\nDesktop\t\tDesktop shortcut\t\t2\t1000\t", "\nKiosk\t\tStart full screen at login (kiosk)\t\t2\t1000\t"} {
		if !strings.Contains(table("Feature"), want) {
			t.Errorf("Feature table lacks %q:\n%s", want, table("Feature"))
		}
	}
	for _, want := range []string{"\nDesktop\t1\tDESKTOPSHORTCUT=\"1\"\n", "\nKiosk\t1\tKIOSK=\"1\"\n"} {
		if !strings.Contains(table("Condition"), want) {
			t.Errorf("Condition table lacks %q:\n%s", want, table("Condition"))
		}
	}
	props := table("Property")
	for _, want := range []string{"\nDESKTOPSHORTCUT\t0\n", "\nKIOSK\t0\n", ";DESKTOPSHORTCUT;KIOSK\n", "\nALLUSERS\t1\n"} {
		if !strings.Contains(props, want) {
			t.Errorf("Property table lacks %q:\n%s", want, props)
		}
	}
	if !strings.Contains(table("File"), "catalog-sample.csv") {
		t.Errorf("the MSI has no sample catalogue:\n%s", table("File"))
	}
	if !strings.Contains(table("LaunchCondition"), "WINBUILD >= 10240") {
		t.Errorf("no Windows 10 check:\n%s", table("LaunchCondition"))
	}
	if !strings.Contains(table("Shortcut"), "\tStartupFolder\tkasse (kiosk)\tKioskShortcut\t[INSTALLDIR]kasse.exe\t--kiosk\t") {
		t.Errorf("no kiosk shortcut:\n%s", table("Shortcut"))
	}
	info := run(t, "msiinfo", "suminfo", msi)
	if !strings.Contains(info, "kasse "+version) {
		t.Errorf("the MSI does not carry its version %s:\n%s", version, info)
	}
	dir := t.TempDir()
	run(t, "msiextract", "-C", dir, msi)
	var inside []byte
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(d.Name(), "kasse.exe") {
			inside, _ = os.ReadFile(path)
		}
		return nil
	})
	built, err := os.ReadFile(filepath.Join(distDir(), "kasse.exe"))
	if err == nil && !bytes.Equal(inside, built) {
		t.Error("the MSI holds another kasse.exe than dist/kasse.exe: run `make package-windows`")
	}
}

// runtimeLibs are the packages of the libraries Fyne's GLFW loads (TOOLCHAIN.md).
// libxext6, libxrender1, the Wayland cursor and EGL libraries and libegl1 are
// loaded with dlopen (strings in the binary, not DT_NEEDED).
var runtimeLibs = []string{"libc6", "libgl1", "libx11-6", "libxcursor1", "libxrandr2", "libxinerama1", "libxi6", "libxxf86vm1",
	"libxext6", "libxrender1", "libwayland-client0", "libwayland-cursor0", "libwayland-egl1", "libegl1", "libxkbcommon0"}

func TestPackageDeb(t *testing.T) {
	deb, version := newest(t, "kasse_*_amd64.deb", "package-linux")
	need(t, "package-linux", "dpkg-deb")

	fields := map[string]string{}
	for _, line := range strings.Split(run(t, "dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			fields[k] = v
		}
	}
	if fields["Package"] != "kasse" || fields["Version"] != version || fields["Architecture"] != "amd64" {
		t.Errorf("control fields %v, want kasse %s amd64", fields, version)
	}
	depends := map[string]bool{}
	for _, d := range strings.Split(fields["Depends"], ",") {
		if f := strings.Fields(d); len(f) > 0 {
			depends[f[0]] = true
		}
	}
	for _, lib := range runtimeLibs {
		if !depends[lib] {
			t.Errorf("Depends lacks %s: %s", lib, fields["Depends"])
		}
	}

	listing := run(t, "dpkg-deb", "-c", deb)
	for _, want := range []string{
		"-rwxr-xr-x root/root", "./usr/bin/kasse\n",
		"./usr/share/applications/no.kasse.till.desktop\n",
		"./usr/share/icons/hicolor/512x512/apps/no.kasse.till.png\n",
		"./usr/share/kasse/kasse-kiosk.desktop\n",
		"./usr/lib/systemd/user/kasse-kiosk.service\n",
		"./usr/lib/systemd/system/kasse-hub.service\n",
		"./usr/share/man/man1/kasse.1.gz\n",
		"./usr/share/doc/kasse/changelog.gz\n",
		"./usr/share/doc/kasse/copyright\n",
		"./usr/share/doc/kasse/examples/catalog.csv\n",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("package listing lacks %q:\n%s", want, listing)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		fields := strings.Fields(line)
		path := fields[len(fields)-1]
		if path != "./" && !strings.HasPrefix(path, "./usr/") {
			t.Errorf("installs outside /usr: %s", path)
		}
	}

	// The maintainer scripts create nothing: no users, services or files.
	ctrl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctrl)
	if _, err := os.Stat(filepath.Join(ctrl, "conffiles")); err == nil {
		t.Error("the package has conffiles; kasse keeps its settings per user")
	}
	for _, script := range []string{"postinst", "postrm"} {
		b, err := os.ReadFile(filepath.Join(ctrl, script))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"useradd", "adduser", "systemctl", "mkdir", "chmod", "chown", "/etc/"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s runs %q", script, bad)
			}
		}
	}

	// Install into an empty root and start the installed program.
	root := t.TempDir()
	if _, err := exec.LookPath("dpkg"); err == nil && os.Geteuid() == 0 {
		for _, d := range []string{"var/lib/dpkg/updates", "var/lib/dpkg/info"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// The empty root has none of the dependencies (the host has them);
		// the scripts run outside it and honour DPKG_ROOT.
		run(t, "dpkg", "--root="+root, "--log=/dev/null", "--force-depends", "--force-script-chrootless", "-i", deb)
		status := run(t, "dpkg", "--root="+root, "-s", "kasse")
		if !strings.Contains(status, "Status: install ok installed") {
			t.Errorf("dpkg does not list kasse as installed:\n%s", status)
		}
	} else {
		run(t, "dpkg-deb", "-x", deb, root)
	}
	installed := filepath.Join(root, "usr/bin/kasse")
	if got := run(t, installed, "version"); got != "kasse "+version+"\n" {
		t.Errorf("installed kasse says %q, want version %s", got, version)
	}
	var stdout, stderr bytes.Buffer
	help := exec.Command(installed, "--help")
	help.Stdout, help.Stderr = &stdout, &stderr
	if err := help.Run(); err != nil || strings.Count(stdout.String(), "Commands:") != 1 || stderr.Len() != 0 {
		t.Errorf("kasse --help: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	// Debian's hardening: a position-independent executable, GOT read-only.
	elf := run(t, "readelf", "-h", "-d", installed)
	if !strings.Contains(elf, "DYN (Position-Independent Executable file)") && !strings.Contains(elf, "DYN (Shared object file)") {
		t.Errorf("kasse is not a PIE:\n%s", elf)
	}
	if !strings.Contains(elf, "BIND_NOW") && !strings.Contains(elf, "Flags: NOW") {
		t.Error("kasse is not linked with -z now")
	}
	man := run(t, "sh", "-c", "gzip -dc "+filepath.Join(root, "usr/share/man/man1/kasse.1.gz"))
	if !strings.Contains(man, "kasse "+version) || !strings.Contains(man, ".SH COMMANDS") {
		t.Errorf("the man page does not name version %s", version)
	}
	unit, err := os.ReadFile(filepath.Join(root, "usr/lib/systemd/user/kasse-kiosk.service"))
	if err != nil || !strings.Contains(string(unit), "\nRestart=on-failure\n") || !strings.Contains(string(unit), "ExecStart=/usr/bin/kasse --kiosk\n") {
		t.Errorf("the kiosk user unit does not restart the till: %v\n%s", err, unit)
	}
}

// The installed program's first start, as from the menu on a new till: no
// configuration, no terminal. Its windows open under Xvfb with the desktop
// entry's window class, the first-run assistant in front of the till's,
// and a screenshot is left in dist/first-start.png.
func TestPackageDebFirstStart(t *testing.T) {
	deb, _ := newest(t, "kasse_*_amd64.deb", "package-linux")
	need(t, "package-linux", "dpkg-deb", "xvfb-run", "xdotool", "import")
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", deb, root)
	home := t.TempDir()
	shot := filepath.Join(distDir(), "first-start.png")
	script := `"$KASSE" </dev/null >"$HOME/out.txt" 2>&1 &
for i in $(seq 1 40); do sleep 0.5; xdotool search --name 'set up the till' >/dev/null 2>&1 && break; done
sleep 2
for w in $(xdotool search --class '^no\.kasse\.till$'); do xdotool getwindowname "$w"; done
import -window root "$SHOT"
pid=$!
kill $pid
# The till closes its database and log on the way out: wait for it, or
# the test's clean-up would race its last writes into HOME.
wait $pid 2>/dev/null || true`
	cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1600x900x24", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME=", "KASSE_DATA_DIR=", "WAYLAND_DISPLAY=",
		"LANG=C.UTF-8", "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=", // the assistant opens in English
		"LIBGL_ALWAYS_SOFTWARE=1", "KASSE="+filepath.Join(root, "usr/bin/kasse"), "SHOT="+shot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("first start under Xvfb: %v\n%s", err, out)
	}
	names := string(out)
	log, _ := os.ReadFile(filepath.Join(home, "out.txt"))
	if !strings.Contains(names, "kasse — ") || !strings.Contains(names, "kasse — set up the till") {
		t.Errorf("windows of class no.kasse.till:\n%s\nthe till said:\n%s", names, log)
	}
	for _, name := range []string{"kasse.db", "kasse.log", "kasse.lock"} {
		fi, err := os.Stat(filepath.Join(home, ".local/share/kasse", name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s after the first start: %v %v (want mode 600)", name, fi, err)
		}
	}
	t.Logf("screenshot: %s", shot)
}

// lintian, Debian's package checker, finds no error and no warning.
func TestPackageDebLintian(t *testing.T) {
	deb, _ := newest(t, "kasse_*_amd64.deb", "package-linux")
	need(t, "package-linux", "lintian")
	out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput()
	t.Logf("lintian:\n%s", out)
	if err != nil {
		t.Errorf("lintian: %v", err)
	}
}

func TestPackageLinuxTarball(t *testing.T) {
	tarball, version := newest(t, "kasse-*-linux-amd64.tar.xz", "package-linux")
	need(t, "package-linux", "tar", "xz")
	listing := run(t, "tar", "-tJf", tarball)
	for _, want := range []string{"kasse/usr/local/bin/kasse", "kasse/usr/local/share/applications/no.kasse.till.desktop", "kasse/usr/local/share/pixmaps/no.kasse.till.png", "kasse/Makefile"} {
		if !strings.Contains(listing, want+"\n") {
			t.Errorf("tarball lacks %s:\n%s", want, listing)
		}
	}
	dir := t.TempDir()
	run(t, "tar", "-xJf", tarball, "-C", dir, "kasse/usr/local/bin/kasse")
	if got := run(t, filepath.Join(dir, "kasse/usr/local/bin/kasse"), "version"); got != "kasse "+version+"\n" {
		t.Errorf("the tarball's kasse says %q, want version %s", got, version)
	}
}
