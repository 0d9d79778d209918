# shellcheck shell=bash
# Fixture base images for scripts/provision.sh (sourced by it; uses its helpers and variables).
#
# No registry is reachable from these machines, so every base image a test uses is built here,
# offline, FROM scratch + ADD rootfs.tar (fixtures/images/<name>/Dockerfile), one
# `docker buildx build --platform linux/<arch> --push` per platform, then joined into a manifest
# list under its Docker Hub name in the local registry, which the daemon uses as its mirror:
#
#   library/alpine:3.12.2, :3.18, :latest   linux/amd64, linux/arm64, linux/arm/v7   busybox + musl
#   library/busybox:latest, :stable         linux/amd64, linux/arm64, linux/arm/v7   static busybox
#   library/golang:1.15, :1.21, :latest     linux/amd64 (+ arm64, opt-in)   debootstrap + golang-go,
#                                                                            gcc, libc6-dev
#   library/debian:bookworm-slim            linux/amd64 (+ linux/arm64)     minbase debootstrap
#   tonistiigi/binfmt:latest                linux/amd64      busybox + qemu-*-static + binfmt.sh
#
# An image is rebuilt only when one of its tags is missing from the registry or its recipe
# (Dockerfile directory + rootfs function) changed since it was pushed (stamp files).

FIXTURE_DEBS=$SS_CACHE/debs/bookworm     # busybox-static and musl .debs per Debian arch
FIXTURE_APT_DIR=$SS_CACHE/apt-bookworm-multiarch  # private apt state for them
ROOTFS_CACHE=$SS_CACHE/rootfs            # debootstrap tarballs (slow to make: kept)
DEBOOTSTRAP_CACHE=$SS_CACHE/debootstrap  # .debs debootstrap downloaded
FIXTURE_BUILD=$SS_CACHE/build            # build contexts (removed after each build)
FIXTURE_STAMPS=$SS_LIB/fixtures          # recipe hash of what is in the registry
FIXTURE_STAGE=$REGISTRY/smokestack-fixtures  # per-platform images before they are joined
FIXTURE_LOG=$SS_LOG/fixtures.log

FIXTURE_ARCHES=(amd64 arm64 armhf)      # Debian architectures of the busybox-based images
FIXTURE_DEB_PACKAGES=(busybox-static musl)
# debian:bookworm-slim platforms. arm64 is debootstrapped under QEMU: about 80 s more on a fresh
# machine; SMOKESTACK_DEBIAN_ARCHES=amd64 skips it.
read -ra DEBIAN_SLIM_ARCHES <<<"${SMOKESTACK_DEBIAN_ARCHES:-amd64 arm64}"
# golang platforms: amd64 only by default. A plain `FROM golang:1.15` (without
# --platform=$BUILDPLATFORM) in a linux/arm64 build then fails with "no match for platform in
# manifest". SMOKESTACK_GOLANG_ARCHES="amd64 arm64" adds arm64 (debootstrap under QEMU, minutes).
read -ra GOLANG_ARCHES <<<"${SMOKESTACK_GOLANG_ARCHES:-amd64}"

declare -A DOCKER_PLATFORM=([amd64]=linux/amd64 [arm64]=linux/arm64 [armhf]=linux/arm/v7)

# ---------------------------------------------------------------------------------------------
# .debs for the busybox-based images

ensure_fixture_debs() {
	local missing=() arch pkg
	for arch in "${FIXTURE_ARCHES[@]}"; do
		for pkg in "${FIXTURE_DEB_PACKAGES[@]}"; do
			cached_deb "$FIXTURE_DEBS" "$pkg" "$arch" >/dev/null || missing+=("$pkg:$arch")
		done
	done
	((${#missing[@]} > 0)) || return 0
	# a private apt state for the foreign architectures: the system's apt stays amd64-only
	private_apt_download "$FIXTURE_APT_DIR" bookworm "$(IFS=,; echo "${FIXTURE_ARCHES[*]}")" \
		"$FIXTURE_DEBS" "${missing[@]}"
}

# ---------------------------------------------------------------------------------------------
# Root filesystems. Each rootfs_NAME DEBARCH DIR leaves DIR/rootfs.tar.

# tar_rootfs ROOT TARBALL: numeric owners, no device nodes / proc / sys contents
tar_rootfs() {
	local root=$1 out=$2
	tar --numeric-owner -C "$root" -cf "$out.tmp" \
		--exclude=./dev/* --exclude=./proc/* --exclude=./sys/* --exclude=./run/* .
	mv "$out.tmp" "$out"
}

# The applet list is the same for every architecture: ask an amd64 busybox (runs natively).
busybox_applets() {
	local tmp
	tmp=$(mktemp -d)
	dpkg -x "$(cached_deb "$FIXTURE_DEBS" busybox-static amd64)" "$tmp"
	"$tmp/bin/busybox" --list-full | grep /
	rm -rf "$tmp"
}

# make_busybox_root DEBARCH ROOT: static busybox, applets linked to it, a minimal /etc
make_busybox_root() {
	local arch=$1 root=$2 applet
	dpkg -x "$(cached_deb "$FIXTURE_DEBS" busybox-static "$arch")" "$root"
	rm -rf "${root:?}/usr/share"
	while read -r applet; do
		if [[ ! -e $root/$applet && ! -L $root/$applet ]]; then
			mkdir -p "$root/$(dirname "$applet")"
			ln -s /bin/busybox "$root/$applet"
		fi
	done < <(busybox_applets)
	mkdir -p "$root"/{etc,dev,proc,sys,tmp,root,home,var/tmp,usr/local/bin,usr/local/sbin}
	chmod 1777 "$root/tmp" "$root/var/tmp"
	chmod 0700 "$root/root"
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:root
nogroup:x:65534:
EOF
}

rootfs_busybox() {
	local arch=$1 dir=$2 root=$2/root
	make_busybox_root "$arch" "$root"
	tar_rootfs "$root" "$dir/rootfs.tar"
	rm -rf "$root"
}

# alpine stand-in: busybox + musl's dynamic loader, no glibc, os-release saying Alpine
rootfs_alpine() {
	local arch=$1 dir=$2 root=$2/root loader
	make_busybox_root "$arch" "$root"
	dpkg -x "$(cached_deb "$FIXTURE_DEBS" musl "$arch")" "$root"
	rm -rf "${root:?}/usr/share" "$root/usr/bin/ld-musl-config"
	# keep /lib/ld-musl-<arch>.so.1 (-> <triplet>/libc.so) and /etc/ld-musl-<arch>.path;
	# alpine also has /lib/libc.musl-<arch>.so.1
	loader=$(cd "$root/lib" && ls ld-musl-*.so.1)
	[[ -n $loader ]] || die "no ld-musl loader in musl:$arch"
	ln -s "$loader" "$root/lib/libc.musl-${loader#ld-musl-}"
	sed -i 's|:/bin/sh$|:/bin/ash|' "$root/etc/passwd"
	echo 3.12.2 >"$root/etc/alpine-release"
	cat >"$root/etc/os-release" <<'EOF'
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.12.2
PRETTY_NAME="Alpine Linux v3.12"
EOF
	tar_rootfs "$root" "$dir/rootfs.tar"
	rm -rf "$root"
}

# binfmt stand-in: busybox, qemu-{aarch64,arm}-static, /usr/bin/binfmt with the host's
# registration magic/mask baked in
rootfs_binfmt() {
	local arch=$1 dir=$2 root=$2/root q
	make_busybox_root "$arch" "$root"
	mkdir -p "$root/usr/bin"
	for q in qemu-aarch64 qemu-arm; do
		[[ -f /usr/share/binfmts/$q ]] || die "/usr/share/binfmts/$q missing (qemu-user-static)"
		install -m 0755 "/usr/bin/$q-static" "$root/usr/bin/$q-static"
	done
	{
		echo '#!/bin/sh'
		echo '# Generated by scripts/provision/fixtures.sh from fixtures/images/binfmt/binfmt.sh'
		printf "AARCH64_MAGIC='%s'\n" "$(binfmt_field qemu-aarch64 magic)"
		printf "AARCH64_MASK='%s'\n" "$(binfmt_field qemu-aarch64 mask)"
		printf "ARM_MAGIC='%s'\n" "$(binfmt_field qemu-arm magic)"
		printf "ARM_MASK='%s'\n" "$(binfmt_field qemu-arm mask)"
		printf "QEMU_VERSION='%s'\n" "$(/usr/bin/qemu-aarch64-static --version | awk 'NR==1 {print $3}')"
		tail -n +2 "$FIXTURES_DIR/binfmt/binfmt.sh"
	} >"$root/usr/bin/binfmt"
	chmod 0755 "$root/usr/bin/binfmt"
	tar_rootfs "$root" "$dir/rootfs.tar"
	rm -rf "$root"
}

# binfmt_field NAME FIELD: a field (magic, mask, ...) of Debian's /usr/share/binfmts/NAME
binfmt_field() {
	local v
	v=$(awk -v k="$2" '$1 == k { print $2; exit }' "/usr/share/binfmts/$1")
	[[ -n $v ]] || die "no $2 in /usr/share/binfmts/$1"
	echo "$v"
}

# unmount_under DIR: lazily unmount whatever a (possibly interrupted) debootstrap left mounted
unmount_under() {
	local dir m
	dir=$(realpath -m "$1")
	awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" || true; done
}

# debootstrap_tarball DEBARCH INCLUDE OUT: cached minbase bookworm tarball
debootstrap_tarball() {
	local arch=$1 include=$2 out=$3 root args
	if [[ -s $out ]]; then
		log "using cached $out"
		return
	fi
	local name cache
	name=$(basename "$out" .tar)
	# own root and .deb cache per tarball: the debian ones are made while golang's may be
	root=$FIXTURE_BUILD/$name.root
	cache=$DEBOOTSTRAP_CACHE/$name
	unmount_under "$root"
	rm -rf "$root"
	mkdir -p "$cache" "$(dirname "$out")"
	args=(--variant=minbase --arch="$arch" --cache-dir="$cache")
	[[ -z $include ]] || args+=(--include="$include")
	log "debootstrap ${args[*]} bookworm (log: $FIXTURE_LOG)"
	if ! debootstrap "${args[@]}" bookworm "$root" "$MIRROR" >>"$FIXTURE_LOG" 2>&1; then
		unmount_under "$root"
		fail_with_log "$FIXTURE_LOG" "debootstrap of $arch failed"
	fi
	unmount_under "$root"
	# slim it a little, as the official images do
	rm -rf "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
		"$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
	tar_rootfs "$root" "$out"
	rm -rf "$root"
	log "made $out ($(du -h "$out" | cut -f1))"
}

rootfs_golang() {
	local arch=$1 dir=$2
	local tarball=$ROOTFS_CACHE/golang-bookworm-$arch.tar
	debootstrap_tarball "$arch" golang-go,gcc,libc6-dev "$tarball"
	ln -f "$tarball" "$dir/rootfs.tar"
}

debian_tarball() { echo "$ROOTFS_CACHE/debian-bookworm-slim-$1.tar"; }

rootfs_debian() {
	local arch=$1 dir=$2
	debootstrap_tarball "$arch" '' "$(debian_tarball "$arch")"
	ln -f "$(debian_tarball "$arch")" "$dir/rootfs.tar"
}

# Makes the debian tarballs in the background while the golang image is made (both take a
# minute or two, on different cores). Only a cache warmer: rootfs_debian makes whatever is
# still missing afterwards.
prefetch_debian_tarballs() {
	local arch
	FIXTURE_LOG=$SS_LOG/fixtures-debian.log
	: >"$FIXTURE_LOG"
	for arch in "${DEBIAN_SLIM_ARCHES[@]}"; do
		debootstrap_tarball "$arch" '' "$(debian_tarball "$arch")"
	done
}

# ---------------------------------------------------------------------------------------------
# Build, push, join

# fixture_rev NAME ARCHES FUNC...: hash of the image's recipe
fixture_rev() {
	local name=$1 arches=$2
	shift 2
	{
		echo "$arches"
		find "$FIXTURES_DIR/$name" -type f | sort | xargs cat
		declare -f "$@"
	} | sha256sum | cut -c1-16
}

# fixture_rev_of NAME ARCHES ROOTFS_FUNC: the recipe hash ensure_fixture compares
# (debootstrap_tarball is not part of it: its tarballs are cached by name)
fixture_rev_of() {
	fixture_rev "$1" "$2" "$3" make_busybox_root busybox_applets tar_rootfs
}

# fixture_present NAME REV REF...: pushed with this recipe, and every tag answers
fixture_present() {
	local name=$1 rev=$2 ref
	shift 2
	[[ -f $FIXTURE_STAMPS/$name && $(<"$FIXTURE_STAMPS/$name") == "$rev" ]] || return 1
	for ref in "$@"; do
		docker buildx imagetools inspect --raw "$ref" >/dev/null 2>&1 || return 1
	done
}

# ensure_fixture NAME "REF..." "DEBARCH..." ROOTFS_FUNC
#   returns 0 if the image was (re)built, 1 if it was already there
ensure_fixture() {
	local name=$1 rootfs_fn=$4 rev arch dir stage platform ref
	local -a refs arches stages=()
	read -ra refs <<<"$2"
	read -ra arches <<<"$3"
	rev=$(fixture_rev_of "$name" "${arches[*]}" "$rootfs_fn")
	if fixture_present "$name" "$rev" "${refs[@]}"; then
		log "fixture $name: present (${refs[*]#"$REGISTRY"/})"
		return 1
	fi
	local t0=$SECONDS
	for arch in "${arches[@]}"; do
		platform=${DOCKER_PLATFORM[$arch]}
		dir=$FIXTURE_BUILD/$name-$arch
		rm -rf "$dir"
		mkdir -p "$dir"
		"$rootfs_fn" "$arch" "$dir"
		stage=$FIXTURE_STAGE/$name:${platform//\//-}
		log "building $name for $platform -> $stage"
		docker buildx build --progress=plain --platform "$platform" --provenance=false --sbom=false \
			-f "$FIXTURES_DIR/$name/Dockerfile" -t "$stage" --push "$dir" >>"$FIXTURE_LOG" 2>&1 ||
			fail_with_log "$FIXTURE_LOG" "build of $name for $platform failed"
		rm -rf "$dir"
		stages+=("$stage")
	done
	# one tag at a time: with several -t, imagetools pushes them concurrently and the registry
	# may refuse an index whose per-platform manifest another push is still copying
	# ("manifest blob unknown"). The index is deterministic, so every tag gets the same digest.
	for ref in "${refs[@]}"; do
		retry 2 docker buildx imagetools create -t "$ref" "${stages[@]}" >>"$FIXTURE_LOG" 2>&1 ||
			fail_with_log "$FIXTURE_LOG" "imagetools create -t $ref failed"
	done
	# the containerd store also keeps what it pushed: drop those local per-platform tags
	docker image rm "${stages[@]}" >/dev/null 2>&1 || true
	mkdir -p "$FIXTURE_STAMPS"
	echo "$rev" >"$FIXTURE_STAMPS/$name"
	log "fixture $name: pushed ${refs[*]#"$REGISTRY"/} in $((SECONDS - t0))s"
}

# After (re)building the binfmt stand-in: check that it really re-registers a removed handler,
# then give the host its Debian handler back.
verify_binfmt_fixture() {
	local h=/proc/sys/fs/binfmt_misc/qemu-aarch64 out
	log "verifying tonistiigi/binfmt stand-in: removing qemu-aarch64, re-installing it"
	[[ ! -e $h ]] || echo -1 >"$h"
	docker run --privileged --rm tonistiigi/binfmt:latest --install arm64 >>"$FIXTURE_LOG" 2>&1 ||
		fail_with_log "$FIXTURE_LOG" "docker run tonistiigi/binfmt --install arm64 failed"
	grep -q '^interpreter /usr/bin/qemu-aarch64-static' "$h" 2>/dev/null ||
		die "tonistiigi/binfmt --install arm64 did not register qemu-aarch64"
	out=$(docker run --rm --platform linux/arm64 alpine:3.12.2 uname -m 2>>"$FIXTURE_LOG") || true
	[[ $out == aarch64 ]] || die "linux/arm64 alpine:3.12.2 'uname -m' printed '$out', not aarch64"
	docker image rm -f tonistiigi/binfmt:latest alpine:3.12.2 >/dev/null 2>&1 || true
	echo -1 >"$h"
	ensure_qemu_binfmt
	log "tonistiigi/binfmt stand-in works (arm64 re-registered, alpine uname -m = aarch64)"
}

ensure_fixtures() {
	local r=$REGISTRY/library built_alpine=1 built_binfmt=1 prefetch=''
	local debian_refs=$r/debian:bookworm-slim
	mkdir -p "$FIXTURE_BUILD"
	: >"$FIXTURE_LOG"
	ensure_fixture_debs
	ensure_fixture alpine "$r/alpine:3.12.2 $r/alpine:3.18 $r/alpine:latest" \
		"${FIXTURE_ARCHES[*]}" rootfs_alpine || built_alpine=0
	ensure_fixture busybox "$r/busybox:latest $r/busybox:stable" "${FIXTURE_ARCHES[*]}" rootfs_busybox || true
	ensure_fixture binfmt "$REGISTRY/tonistiigi/binfmt:latest" amd64 rootfs_binfmt || built_binfmt=0
	if ((built_alpine || built_binfmt)); then
		verify_binfmt_fixture
	fi
	# (after the binfmt check above, which briefly unregisters qemu-aarch64: the arm64
	# debootstrap runs under QEMU)
	if ! fixture_present debian "$(fixture_rev_of debian "${DEBIAN_SLIM_ARCHES[*]}" rootfs_debian)" \
		"$debian_refs"; then
		prefetch_debian_tarballs &
		prefetch=$!
	fi
	ensure_fixture golang "$r/golang:1.15 $r/golang:1.21 $r/golang:latest" "${GOLANG_ARCHES[*]}" \
		rootfs_golang || true
	if [[ -n $prefetch ]] && ! wait "$prefetch"; then
		log "making the debian rootfs in the background failed ($SS_LOG/fixtures-debian.log); again:"
	fi
	ensure_fixture debian "$debian_refs" "${DEBIAN_SLIM_ARCHES[*]}" rootfs_debian || true
}
