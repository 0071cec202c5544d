# Vmm build, test and CI entry points. `make` alone lists the targets.
# CI runs `make test` (through .ci/run) as root on a fresh Debian 12 machine that has only the
# .NET SDK: every target installs the Debian packages and dotnet tools it needs by itself.

# Every Native AOT executable, as NAME:PROJECT; `make build` leaves out/NAME for each.
# Adding an executable is adding one line here.
EXECUTABLES := \
	vmmctl:controller/vmmctl/Vmm.Ctl.csproj \
	vmm-hostd:hostd/Vmm.Hostd.csproj \
	vmm-controller:controller/daemon/Vmm.Controller.csproj

OUT          := out
TEST_RESULTS := TestResults
FUZZ_SECONDS ?= 60
BENCH_FILTER ?= *
# make soak: how long hostd and the controller run under their steady load (SOAK_SECONDS=3600 is the issue's
# hour); the other SOAK_* settings (tests/Vmm.Benchmarks/Soak/SoakSettings.cs) pass through from the command
# line or the environment.
SOAK_SECONDS ?= 300
export SOAK_SECONDS SOAK_CHANGES SOAK_STUCK_CHANGES SOAK_WATCHERS SOAK_IDLE_CONNECTIONS SOAK_RSS_CAP_MB SOAK_CHANGE_RATE \
	SOAK_LOSS_SECONDS SOAK_LOSS_PERCENT SOAK_LOSS_OPERATIONS SOAK_BINARIES

# Debian packages, by target. The AOT link needs a C toolchain: the ILCompiler links with clang
# when `clang` is on PATH, else gcc (a fresh image has gcc, and clang-14 without the `clang`
# name; afl++ pulls in `clang`). libc6-dev is only a Recommends of gcc. No zlib1g-dev: the
# AOT runtime pack ships its own libz.a.
BUILD_PACKAGES := gcc libc6-dev
# hostd loads libvirt.so.0 at run time (no libvirt-dev: the binding names the soname); its tests use
# libvirt's built-in test driver and virsh, and a private libvirtd (for losing and regaining the
# hypervisor); the benchmark compares hostd with libvirtd itself.
LIBVIRT_PACKAGES := libvirt0 libvirt-clients libvirt-daemon
# The end-to-end tests (tests/Vmm.E2E.Tests) and `make bench`'s --e2e run real QEMU (TCG) under private
# libvirtds in namespaces of their own (tests/tools/e2e-*.sh): the QEMU driver, the emulator, qemu-img for
# qcow2 volumes, ip for their network namespace, mount and util-linux.
QEMU_PACKAGES := libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils iproute2 mount util-linux
# Packages: debhelper (with dpkg-dev) and rpm's rpmbuild pack, help2man renders the man pages from
# --help, lintian and rpmlint check the results; the packaging tests also unpack an rpm (cpio) and
# complete vmmctl's commands (bash-completion).
DEB_PACKAGES := debhelper help2man lintian
RPM_PACKAGES := rpm help2man rpmlint
# The unit tests run systemd-analyze verify (systemd) and send signals with kill (procps); the install test
# reads the shipped logrotate files with logrotate -d; the demo test
# checks vmmctl --json with jq; the hedge test stalls a connection with iptables (and finds it with ss, iproute2).
# The Wireshark tests (tests/Vmm.Wireshark.Tests) run spec/wireshark/vmm.lua in tshark and capture live traffic with
# its dumpcap (wireshark-common; its debconf question, whether non-root users may capture, takes its default "no"
# under ensure-packages' noninteractive frontend).
# The metrics test (tests/Vmm.System.Tests, MetricsTests) runs promtool and a Prometheus server of its own from the
# prometheus package, on a free loopback port. Installing the package enables its own service: under systemd it
# starts it (port 9090), and without systemd its init script starts it unless policy-rc.d forbids (as in most
# containers); the test never uses that service, and nothing else listens on 9090.
# tmux: the vm top test (tests/Vmm.System.Tests, VmTopTests) runs `vmmctl vm top` in a detached tmux pane, a real
# terminal, and reads the screen it drew with capture-pane.
TEST_PACKAGES  := $(BUILD_PACKAGES) xxd netcat-openbsd python3 jq systemd procps logrotate iptables $(LIBVIRT_PACKAGES) $(QEMU_PACKAGES) \
	$(DEB_PACKAGES) $(RPM_PACKAGES) cpio bash-completion tshark prometheus tmux
BENCH_PACKAGES := python3 $(LIBVIRT_PACKAGES) $(QEMU_PACKAGES)
FUZZ_PACKAGES  := afl++

# Where make deb and make rpm put the packages, and their version (Directory.Build.props' <Version>).
PACKAGE_DIR     := $(OUT)/packages
PACKAGE_VERSION  = $(shell bash packaging/version.sh)

PUBLISH_FLAGS := -c Release -r linux-x64 -p:PublishAot=true --nologo

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1
# No MSBuild worker nodes left idling after a build: a CI run should leave no process behind.
export MSBUILDDISABLENODEREUSE := 1

MAKEFLAGS += --no-print-directory
ensure-packages = bash tests/tools/ensure-packages.sh $(1)

.DEFAULT_GOAL := help
.PHONY: help build test test-fast bench soak soak-loss trust fuzz deb rpm clean

# List the targets.
help:
	@echo "make build   Native AOT publish of every executable into $(OUT)/ ($(foreach e,$(EXECUTABLES),$(firstword $(subst :, ,$(e)))))"
	@echo "make test    install prerequisites, build, run every tests/**/*.Tests.csproj; ends with 'N passed, N failed'"
	@echo "make test-fast  the unit and property tests alone: no AOT build, no root, no libvirt or libvirtd; same closing line"
	@echo "make run     a local cluster in the foreground (controller, 2 hostd on libvirt's test driver); Ctrl-C stops it"
	@echo "make demo    the same cluster through a scripted tour of every vmmctl operation; exits 0 if every step passed"
	@echo "make bench   run the benchmarks (BENCH_FILTER='$(BENCH_FILTER)' narrows them)"
	@echo "make soak    hostd and the controller under load for SOAK_SECONDS=$(SOAK_SECONDS) s, then watchers and idle connections (about 3 min more): memory, closes, latency"
	@echo "make soak-loss  the soak's parts (f) and (g) alone, under 30% loss: one-page hosts' flaps for SOAK_LOSS_SECONDS (default 120 s; 0 skips it), then 300 operations' p99, lost and doubled; SOAK_BINARIES=DIR runs them against another build's out/"
	@echo "make trust   the controller and hostd killed and restarted under vmmctl loops: duplicates, wrong exit codes, time back to success"
	@echo "make fuzz    fuzz the codec for FUZZ_SECONDS=$(FUZZ_SECONDS) seconds (fuzz/run.sh)"
	@echo "make deb     build, then the vmm-controller and vmm-hostd .deb packages into $(PACKAGE_DIR)/, checked by lintian"
	@echo "make rpm     build, then the vmm-controller and vmm-hostd .rpm packages into $(PACKAGE_DIR)/, checked by rpmlint"
	@echo "make clean   remove bin/ obj/ $(OUT)/ and $(TEST_RESULTS)/"

# Native AOT publish of every executable; a trim or AOT warning fails it (TreatWarningsAsErrors).
# Each is published into obj/publish/NAME, and only the binary and its symbols (NAME.dbg) are
# copied to $(OUT)/: the .pdb and .xml files a publish also leaves are of no use beside them.
# A copy goes to a temporary name in $(OUT)/ and is renamed over the old file, so that a binary that is running
# (a daemon started by hand from out/) keeps its file and the build never fails with "Text file busy".
build:
	@$(call ensure-packages,$(BUILD_PACKAGES))
	@set -e; mkdir -p $(OUT); for e in $(EXECUTABLES); do \
		name=$${e%%:*}; proj=$${e#*:}; stage=obj/publish/$$name; \
		echo "=== publish $$name ($$proj) ==="; \
		rm -rf "$$stage"; \
		dotnet publish "$$proj" $(PUBLISH_FLAGS) -o "$$stage"; \
		test -x "$$stage/$$name" || { echo "build: no $$name after publishing $$proj (check its AssemblyName)" >&2; exit 1; }; \
		for f in "$$name" "$$name.dbg"; do \
			[ -f "$$stage/$$f" ] || continue; \
			cp -p "$$stage/$$f" "$(OUT)/.$$f.new" && mv -f "$(OUT)/.$$f.new" "$(OUT)/$$f"; \
		done; \
	done

# Set-up, AOT build, then every test project. A failing step does not stop the run: it is
# counted as a failure in the closing "N passed, N failed" line, which is always printed
# (after it, on failure, make adds only its own "*** [test] Error" line on stderr).
test:
	@broken=0; \
	$(call ensure-packages,$(TEST_PACKAGES)) || broken=$$((broken + 1)); \
	dotnet tool restore >/dev/null || { echo "test: dotnet tool restore failed" >&2; broken=$$((broken + 1)); }; \
	$(MAKE) build || broken=$$((broken + 1)); \
	bash tests/tools/run-tests.sh --broken $$broken $(TEST_RESULTS)

# The tests that need nothing beyond the .NET SDK and python3: no AOT build, no root, no libvirt, no packages
# installed. Each test declares what it needs as a Needs trait (tests/Directory.Build.targets); run-tests.sh --fast
# leaves out every one that needs something, and the projects that need something as a whole. Same closing line.
test-fast:
	@bash tests/tools/run-tests.sh --fast $(TEST_RESULTS)

# A local cluster on loopback (tools/cluster/): libvirt0 for the test driver hostd loads, jq for the
# demo's checks of vmmctl --json. Ctrl-C stops run; demo stops by itself.
CLUSTER_PACKAGES := libvirt0 jq
.PHONY: run demo
run: build
	@$(call ensure-packages,$(CLUSTER_PACKAGES))
	@bash tools/cluster/run.sh

demo: build
	@$(call ensure-packages,$(CLUSTER_PACKAGES))
	@bash tools/cluster/demo.sh

# hostd's round trip against libvirtd, the controller's UDP ingest (the AOT binaries of `make build`), the
# end-to-end figures on real QEMU (--e2e), then
# BenchmarkDotNet, in Release; e.g. make bench BENCH_FILTER='*Decode*' runs only the matching codec rows.
bench: build
	@$(call ensure-packages,$(BENCH_PACKAGES))
	dotnet run -c Release --project tests/Vmm.Benchmarks -- --filter '$(BENCH_FILTER)'

# The soak of the AOT binaries (tests/Vmm.Benchmarks/Soak/): hostd with 50 VMs at 1 request a second and a
# controller with 1,000 simulated hosts, side by side for SOAK_SECONDS; then a reading watcher, watchers that never
# read, and idle connections, each bounded. Prints the figures and each goal of issue 12, met or not; exits non-zero
# only when a part could not be measured. Loopback only; every process it starts is stopped by its pid. Part (f), one-page
# hosts under random datagram loss (SOAK_LOSS_PERCENT=30 for SOAK_LOSS_SECONDS=120; the goal is stated for 600), runs in
# a private network namespace (unshare -n, from util-linux) whose loopback loses UDP by iptables (the kernel has no netem);
# `dotnet run -c Release --project tests/Vmm.Benchmarks -- --loss` runs it alone.
SOAK_PACKAGES := libvirt0 iptables iproute2 util-linux
soak: build
	@$(call ensure-packages,$(SOAK_PACKAGES))
	dotnet run -c Release --project tests/Vmm.Benchmarks -- --soak

# Part (f) of the soak alone: one-page hosts under SOAK_LOSS_PERCENT datagram loss for SOAK_LOSS_SECONDS.
soak-loss: build
	@$(call ensure-packages,$(SOAK_PACKAGES))
	dotnet run -c Release --project tests/Vmm.Benchmarks -- --loss

# What scripts see around restarts (tests/Vmm.Benchmarks/Trust/): the controller and hostd each killed and started
# again TRUST_RESTARTS times (default 5) under loops of vmmctl; duplicates, wrong exit codes, time back to success.
trust: build
	@$(call ensure-packages,$(SOAK_PACKAGES))
	dotnet run -c Release --project tests/Vmm.Benchmarks -- --trust

# Coverage-guided fuzzing with afl++ and SharpFuzz for FUZZ_SECONDS seconds.
fuzz:
	@$(call ensure-packages,$(FUZZ_PACKAGES))
	dotnet tool restore
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh $(FUZZ_SECONDS)

# The packages (packaging/build-deb.sh, build-rpm.sh) from the binaries of `make build`; a lintian or
# rpmlint error fails the target (packaging/rpm/rpmlint.toml says why each filtered finding is).
deb: build
	@$(call ensure-packages,$(DEB_PACKAGES))
	bash packaging/build-deb.sh $(OUT) $(PACKAGE_DIR)
	lintian --fail-on error $(PACKAGE_DIR)/vmm-controller_$(PACKAGE_VERSION)_amd64.deb $(PACKAGE_DIR)/vmm-hostd_$(PACKAGE_VERSION)_amd64.deb

rpm: build
	@$(call ensure-packages,$(RPM_PACKAGES))
	bash packaging/build-rpm.sh $(OUT) $(PACKAGE_DIR)
	rpmlint -c packaging/rpm/rpmlint.toml $(PACKAGE_DIR)/vmm-controller-$(PACKAGE_VERSION)-1.x86_64.rpm $(PACKAGE_DIR)/vmm-hostd-$(PACKAGE_VERSION)-1.x86_64.rpm

# Remove build outputs and test results (fuzz findings are kept).
clean:
	find . -path ./.git -prune -o -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
	rm -rf $(OUT) $(TEST_RESULTS)
