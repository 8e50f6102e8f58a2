# kasse — make targets are the interface. On a fresh Debian machine
# `make run` and `make test` are the only two commands a person needs.

GO       ?= go
BIN      ?= bin/kasse
# 1.2.3 on a v1.2.3 tag, else FyneApp.toml's version +g<sha> (+.dirty); computed once per make run.
ifeq ($(origin VERSION),undefined)
VERSION  := $(shell assets/packaging/version.sh 2>/dev/null || echo dev)
endif
LDFLAGS  := -X github.com/kasse-pos/kasse/app.Version=$(VERSION)
GOBIN    ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
ERRCHECK_VERSION    ?= v1.30.0
# errcheck covers the product; the test harnesses (chaos, crash, real window,
# storetest) report to a person and are left out. .errcheck-excludes says why
# each exclusion is safe.
ERRCHECK_PKGS = $$($(GO) list ./... | grep -v -e '/app/internal/chaos$$' -e '/app/internal/crashtest$$' -e '/app/internal/realwindow$$' -e '/storetest$$')
# Fuzz targets as dir:FuzzName. `make test` runs each for FUZZTIME_SHORT, `make fuzz` for FUZZTIME.
# The short run is a count of executions, not a duration: Go 1.26's fuzz coordinator can report
# "context deadline exceeded" at the end of a timed run on a loaded machine (go.dev/issue/75804),
# which would make make test flaky; a count has no deadline to race.
FUZZ_TARGETS   := hardware:FuzzClassify hardware:FuzzWedge hardware:FuzzReceiptLines vipps:FuzzParseMSISDN vipps:FuzzVerifyWebhook flow:FuzzParsePrice
FUZZTIME       ?= 60s
FUZZTIME_SHORT ?= 20000x

# Headers cgo needs to build Fyne (GLFW with X11 and Wayland) and SQLite.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev
BUILD_HEADERS := GL/gl.h X11/Xlib.h X11/Xcursor/Xcursor.h X11/extensions/Xrandr.h \
	X11/extensions/Xinerama.h X11/extensions/XInput2.h X11/extensions/xf86vmode.h \
	wayland-client.h xkbcommon/xkbcommon.h
# Programs the tests drive: serial ptys, a throw-away PostgreSQL, a virtual X server,
# xmllint (the SAF-T schema) and openssl (an independent check of the SAF-T signatures).
TEST_PKGS  := socat postgresql xvfb xauth xdotool x11-utils imagemagick libxml2-utils openssl

.PHONY: all build run sim test test-go lint bench chaos fuzz deps test-deps clean

all: build

deps:
	@missing=""; for h in $(BUILD_HEADERS); do [ -f /usr/include/$$h ] || missing="$$missing $$h"; done; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing build headers:$$missing"; \
	  .ci/apt-install $(BUILD_PKGS); \
	fi

test-deps:
	@missing=""; for c in socat Xvfb xdotool xmllint openssl; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing initdb"; \
	if [ -n "$$missing" ]; then \
	  echo "test-deps: missing programs:$$missing"; \
	  .ci/apt-install $(TEST_PKGS); \
	fi

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# The till in demo mode: embedded simulator, SQLite in the user's data dir, demo catalog.
run: build
	./$(BIN) --demo

# The Vipps MobilePay simulator on its own (see README for its flags).
sim:
	$(GO) run -ldflags "$(LDFLAGS)" . sim --http-webhooks

# Unit, integration and UI tests; PostgreSQL tests run against a throw-away server; then the
# real-window test (the till under Xvfb, played with xdotool; about two minutes).
test: deps test-deps
	$(GO) vet ./...
	.ci/with-postgres $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT)
	.ci/real-window

lint: deps
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...
	@test -x $(GOBIN)/errcheck || $(GO) install github.com/kisielk/errcheck@$(ERRCHECK_VERSION)
	$(GOBIN)/errcheck -ignoretests -exclude .errcheck-excludes $(ERRCHECK_PKGS)

# Benchmarks in benchstat's format, also written to $(BENCH_OUT) (compare runs with
# `benchstat old.txt new.txt`). The million-row catalogue and journal are built once and
# cached in $$KASSE_BENCH_CACHE or ~/.cache/kasse-bench. Cold start needs Xvfb and xdotool.
BENCH_COUNT ?= 1
BENCH_OUT   ?= bin/bench.txt
bench: deps test-deps
	@mkdir -p $(dir $(BENCH_OUT)); ( .ci/with-postgres $(GO) test -run '^$$' -bench . -benchmem -count=$(BENCH_COUNT) -timeout 30m ./... 2>&1; echo $$? > $(BENCH_OUT).status ) | tee $(BENCH_OUT); \
	  s=$$(cat $(BENCH_OUT).status); rm -f $(BENCH_OUT).status; exit $$s

# Sales through real till processes killed with SIGKILL and restarted, against the
# simulator with faults on; compares the tills' databases with Vipps' ledger.
# CHAOS_SALES sets the number of sales (default 1000); exits 1 on a double or lost capture.
# CHAOS_FLAGS adds modes: -same-till-id, -reinstall, -shared-db DSN (see app/internal/chaos).
chaos: deps
	$(GO) run ./app/internal/chaos $(CHAOS_FLAGS)

fuzz: deps
	@for t in $(FUZZ_TARGETS); do dir=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$dir $$fn for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$dir || exit 1; done

clean:
	rm -rf bin dist

# ---- Packages in dist/ for installing on a till (not part of `make test`: a cold
# Windows cross-build takes ~6 min). assets/packaging/ holds the scripts and files.
FYNE_CLI_VERSION ?= v1.7.4
DIST        := dist
LINUX_EXE   := $(DIST)/linux/kasse
TARXZ       := $(DIST)/kasse-$(VERSION)-linux-amd64.tar.xz
DEB         := $(DIST)/kasse_$(VERSION)_amd64.deb
WINDOWS_EXE := $(DIST)/kasse.exe
SETUP_EXE   := $(DIST)/kasse-$(VERSION)-setup.exe
MSI         := $(DIST)/kasse-$(VERSION).msi
LINUX_PACKAGE_PKGS   := xz-utils binutils lintian
WINDOWS_PACKAGE_PKGS := gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis p7zip-full wixl msitools

.PHONY: package-deps package-deps-linux package-linux package-windows package-check

# What the Linux packages need (lintian checks the .deb in package-check).
package-deps-linux:
	@missing=""; for c in xz objdump lintian; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then echo "package-deps-linux: missing programs:$$missing"; .ci/apt-install $(LINUX_PACKAGE_PKGS); fi
	@test -x $(GOBIN)/fyne || $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_CLI_VERSION)

package-deps: package-deps-linux
	@missing=""; for c in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres makensis 7z wixl msibuild msiinfo; do \
	  command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then echo "package-deps: missing programs:$$missing"; .ci/apt-install $(WINDOWS_PACKAGE_PKGS); fi

# dist/kasse-VERSION-linux-amd64.tar.xz (fyne package) and dist/kasse_VERSION_amd64.deb,
# a position-independent executable (PIE) as Debian's hardening asks.
package-linux: deps package-deps-linux
	@mkdir -p $(DIST)/linux
	$(GO) build -buildmode=pie -ldflags "-s -w -extldflags '-Wl,-z,relro,-z,now' $(LDFLAGS)" -o $(LINUX_EXE) .
	assets/packaging/linux/build-tarball.sh $(GOBIN)/fyne $(LINUX_EXE) $(VERSION) $(TARXZ)
	assets/packaging/deb/build-deb.sh $(LINUX_EXE) $(VERSION) $(DEB)

# dist/kasse.exe (64-bit, GUI, cgo with mingw, icon and version info), its NSIS installer,
# and an MSI (wixl) for group-policy deployment with DESKTOPSHORTCUT and KIOSK properties.
package-windows: package-deps
	GO=$(GO) assets/packaging/windows/build-exe.sh $(VERSION) "$(LDFLAGS)" $(WINDOWS_EXE)
	cd assets/packaging/windows && makensis -V2 -DVERSION=$(VERSION) \
	  -DNUMVERSION=$$(echo $(VERSION) | sed 's/[^0-9.].*//').0 \
	  -DEXE=$(abspath $(WINDOWS_EXE)) -DOUTFILE=$(abspath $(SETUP_EXE)) kasse.nsi
	assets/packaging/windows/build-msi.sh $(WINDOWS_EXE) $(VERSION) $(MSI)
	@ls -l $(WINDOWS_EXE) $(SETUP_EXE) $(MSI)

# Checks what the two targets above produced (kind of file, control fields, an
# install of the .deb into a temporary root). The targets in PACKAGES must have
# built their packages (a missing one fails); the others' checks are skipped.
PACKAGES ?= package-linux
package-check:
	KASSE_DIST=$(abspath $(DIST)) KASSE_PACKAGES="$(PACKAGES)" $(GO) test -count=1 -v -run 'Package' ./assets/packaging/
