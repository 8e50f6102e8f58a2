# kasse — make targets are the interface. On a fresh Debian machine
# `make run` and `make test` are the only two commands a person needs.

GO       ?= go
BIN      ?= bin/kasse
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/kasse-pos/kasse/app.Version=$(VERSION)
GOBIN    ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION ?= v0.8.2
# Fuzz targets as dir:FuzzName. `make test` runs each for FUZZTIME_SHORT, `make fuzz` for FUZZTIME.
FUZZ_TARGETS   := hardware:FuzzClassify hardware:FuzzWedge hardware:FuzzReceiptLines
FUZZTIME       ?= 60s
FUZZTIME_SHORT ?= 3s

# Headers cgo needs to build Fyne (GLFW with X11 and Wayland) and SQLite.
BUILD_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev
BUILD_HEADERS := GL/gl.h X11/Xlib.h X11/Xcursor/Xcursor.h X11/extensions/Xrandr.h \
	X11/extensions/Xinerama.h X11/extensions/XInput2.h X11/extensions/xf86vmode.h \
	wayland-client.h xkbcommon/xkbcommon.h
# Programs the tests drive: serial ptys, a throw-away PostgreSQL, a virtual X server.
TEST_PKGS  := socat postgresql xvfb xauth xdotool x11-utils imagemagick libxml2-utils

.PHONY: all build run sim test test-go lint bench fuzz deps test-deps clean

all: build

deps:
	@missing=""; for h in $(BUILD_HEADERS); do [ -f /usr/include/$$h ] || missing="$$missing $$h"; done; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing build headers:$$missing"; \
	  .ci/apt-install $(BUILD_PKGS); \
	fi

test-deps:
	@missing=""; for c in socat Xvfb xdotool xmllint; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
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
	$(GO) run -ldflags "$(LDFLAGS)" . sim

# Unit, integration and UI tests; PostgreSQL tests run against a throw-away server.
test: deps test-deps
	$(GO) vet ./...
	.ci/with-postgres $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT)

lint: deps
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: deps
	@for t in $(FUZZ_TARGETS); do dir=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$dir $$fn for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$dir || exit 1; done

clean:
	rm -rf bin dist
