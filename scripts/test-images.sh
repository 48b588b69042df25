#!/usr/bin/env bash
# Builds the Docker images the tests and the quickstart use, without any
# image registry: each is a small root filesystem assembled from this
# machine's Debian packages and turned into an image with `docker import`.
#
#   busybox:latest, busybox:1   Debian's busybox-static and its applet links
#   redis:3.2, redis:latest     Debian's redis-server, its shared libraries
#                               and busybox for a shell
#
# Every image carries the label io.drover.recipe=$RECIPE; an image whose
# label already has this value is left alone, so a second run is quick.
# Bump RECIPE whenever what goes into the images changes.
#
# Needs a reachable Docker engine; installs busybox-static and redis-server
# with apt-get when they are missing (so it runs as root on Debian).
set -euo pipefail

RECIPE=1
LABEL=io.drover.recipe

log() { echo "test-images: $*"; }

# image_current REF: whether REF exists with this recipe's label.
image_current() {
  local have
  have=$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true)
  [ "$have" = "$RECIPE" ]
}

# all_current REF...: whether every REF is current.
all_current() {
  local ref
  for ref in "$@"; do image_current "$ref" || return 1; done
}

# ensure_packages: installs the Debian packages the images are made of,
# without letting the redis-server package start a system service.
ensure_packages() {
  local missing=()
  [ -x /bin/busybox ] || missing+=(busybox-static)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    # "101: action forbidden": keeps invoke-rc.d from starting redis.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
}

# add_busybox ROOTFS: /bin/busybox, a link per applet, and the few files a
# shell expects.
add_busybox() {
  local root=$1 applet
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >>"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# add_with_libraries ROOTFS BINARY: copies BINARY and every library `ldd`
# names (the dynamic loader included) to the same paths under ROOTFS.
add_with_libraries() {
  local root=$1 bin=$2 lib
  mkdir -p "$root$(dirname "$bin")"
  cp -L "$bin" "$root$bin"
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# import ROOTFS REF CHANGE...: `docker import` of ROOTFS as REF with the
# given Dockerfile instructions and the recipe label.
import() {
  local root=$1 ref=$2
  shift 2
  local changes=(-c "LABEL $LABEL=$RECIPE")
  local c
  for c in "$@"; do changes+=(-c "$c"); done
  tar -C "$root" -c . | docker import "${changes[@]}" - "$ref" >/dev/null
}

build_busybox() {
  local root=$work/busybox
  add_busybox "$root"
  import "$root" busybox:latest 'CMD ["sh"]'
  docker tag busybox:latest busybox:1
  log "built busybox:latest and busybox:1 ($(docker image inspect -f '{{.Id}}' busybox:latest))"
}

build_redis() {
  local root=$work/redis
  add_busybox "$root"
  add_with_libraries "$root" /usr/bin/redis-server
  mkdir -p "$root/data"
  import "$root" redis:3.2 'WORKDIR /data' 'CMD ["redis-server","--protected-mode","no"]'
  docker tag redis:3.2 redis:latest
  log "built redis:3.2 and redis:latest ($(docker image inspect -f '{{.Id}}' redis:3.2))"
}

# check_redis: the image starts and answers PING.
check_redis() {
  local id out=""
  id=$(docker run -d --rm redis:3.2)
  for _ in $(seq 1 50); do
    out=$(docker exec "$id" sh -c 'printf "PING\r\n" | nc 127.0.0.1 6379' 2>/dev/null || true)
    case "$out" in *PONG*) break ;; esac
    sleep 0.1
  done
  docker rm -f "$id" >/dev/null
  case "$out" in
    *PONG*) log "redis:3.2 answers PING" ;;
    *) log "redis:3.2 did not answer PING" >&2; return 1 ;;
  esac
}

main() {
  if ! docker version >/dev/null 2>&1; then
    log "no reachable Docker engine" >&2
    exit 1
  fi
  local need_busybox=1 need_redis=1
  all_current busybox:latest busybox:1 && need_busybox=0
  all_current redis:3.2 redis:latest && need_redis=0
  if [ "$need_busybox" = 0 ] && [ "$need_redis" = 0 ]; then
    log "busybox:latest, busybox:1, redis:3.2, redis:latest are current (recipe $RECIPE)"
    return 0
  fi
  ensure_packages
  work=$(mktemp -d -t test-images.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  if [ "$need_busybox" = 1 ]; then build_busybox; else log "busybox images are current"; fi
  if [ "$need_redis" = 1 ]; then
    build_redis
    check_redis
  else
    log "redis images are current"
  fi
}

main "$@"
