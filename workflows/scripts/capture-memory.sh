#!/bin/bash
# forensics-bot: capture this instance's memory and stream it to the evidence bucket.
#
# Run by the SSM document ForensicsBot-CaptureMemory (memory capture contract, shared/DESIGN.md). Nothing is
# written to the instance's disks and nothing is fetched from the internet:
#   1. the pinned AVML of this architecture is copied from the tools prefix (ToolsUri, read with the
#      instance profile's credentials through the VPC's S3 endpoint) into RAM (/dev/shm) and run only if its
#      SHA-256 is AvmlSha256;
#   2. AVML writes the image from one named source (--source: it never restarts from another) into a FIFO
#      in RAM (it refuses /dev/stdout, a symlink, since 0.17), read and hashed and counted as it passes to
#      `aws s3 cp -` (SSE-KMS under KmsKeyId);
#   3. the uploader's input stays open until the capture is judged: a tool that failed, or an image whose size
#      is not what the kernel reports, interrupts the uploader (which aborts its multipart upload) before the
#      stream ends, so a failed capture never completes an object under Key;
#   4. beside the image, what examination needs (kernel banner, uname -m, os-release, BTF, System.map,
#      kallsyms) goes to <Key>.system.tar, each file hashed.
# The last line of stdout is one JSON object:
#   {"sha256","bytes","kernel","arch","tool","toolVersion","toolSha256","source","banner","system"}
# No parameter is a secret: the upload authenticates with the instance profile (the quarantine profile the
# workflow put on), which the evidence bucket's policy admits only under CASE-*/memory/.
#
# Exit codes: 2 invalid parameter, 3 no usable capture tool (missing, wrong hash, cannot run),
#             4 capture failed, 5 upload failed, 6 image empty or larger than the kernel's memory,
#             7 image complete and verified in the stream, but its examination context was not uploaded.
set -u
set -o pipefail
umask 077

fail() {
  local code=$1
  shift
  echo "capture-memory: $*" >&2
  exit "$code"
}
valid() { # name value pattern
  [[ $2 =~ $3 ]] || fail 2 "parameter $1 is not valid"
}

[ -n "${SSM_CaseId+x}" ] ||
  fail 2 "the parameters did not arrive as environment variables (interpolationType ENV_VAR needs SSM Agent 3.3.2746.0 or later)"
CASE_ID=${SSM_CaseId:-}
BUCKET=${SSM_Bucket:-}
KEY=${SSM_Key:-}
REGION=${SSM_Region:-}
KMS_KEY=${SSM_KmsKeyId:-}
TOOLS_URI=${SSM_ToolsUri:-}
AVML_SHA256=${SSM_AvmlSha256:-}
TOOL=${SSM_Tool:-auto}
LIME_URI=${SSM_LimeModuleUri:-}
PROFILE=${SSM_InstanceProfile:-}
[ -n "$TOOL" ] || TOOL=auto
valid CaseId "$CASE_ID" '^CASE-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{4}$'
valid Bucket "$BUCKET" '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
valid Key "$KEY" "^${CASE_ID}/memory/[A-Za-z0-9._-]{1,200}$"
valid Region "$REGION" '^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$'
valid KmsKeyId "$KMS_KEY" '^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]{1,256}$'
valid ToolsUri "$TOOLS_URI" '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([A-Za-z0-9._/-]*/)?$'
valid AvmlSha256 "$AVML_SHA256" '^[0-9a-f]{64}$'
valid Tool "$TOOL" '^(auto|avml|lime)$'
valid InstanceProfile "$PROFILE" '^([A-Za-z0-9_+=,.@-]{1,128})?$'
valid LimeModuleUri "$LIME_URI" '^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?)?$'

# The roots of what the kernel reports. FORENSICS_ROOT exists for tests only; SSM sets no such variable.
ROOT=${FORENSICS_ROOT:-}
KERNEL=$(uname -r) || fail 4 "uname -r failed"
valid kernel "$KERNEL" '^[A-Za-z0-9._+~-]{1,100}$'
ARCH=$(uname -m) || fail 4 "uname -m failed"
case "$ARCH" in
  x86_64 | aarch64) ;;
  arm64) ARCH=aarch64 ;;
  *) fail 3 "no AVML build for architecture $ARCH" ;;
esac

# Work in RAM only, in a directory of our own; work directories of a capture killed earlier (SIGKILL leaves
# its traps unrun) are removed first. FORENSICS_WORK_DIR exists for tests only.
WORK_ROOT=${FORENSICS_WORK_DIR:-/dev/shm}
[ -d "$WORK_ROOT" ] || fail 4 "$WORK_ROOT is missing: refusing to write anywhere else"
for stale in "$WORK_ROOT"/forensics-bot.*; do
  [ -d "$stale" ] || continue
  pid=$(cat "$stale/pid" 2>/dev/null)
  if ! [[ $pid =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then rm -rf "$stale"; fi
done
WORK=$(mktemp -d "$WORK_ROOT/forensics-bot.XXXXXX") || fail 4 "cannot create a work directory in $WORK_ROOT"
echo $$ >"$WORK/pid"

# Kills a process and every descendant (the tool, its FIFO reader, tee), children first seen first.
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill -KILL "$1" 2>/dev/null
}

UPLOAD_PID=
STREAM_PID=
INSMOD_PID=
LIME_LOADED=
cleanup() {
  # Never let an interrupted capture complete an upload: the tool stops writing, and the uploader is
  # stopped before its input closes.
  [ -n "$STREAM_PID" ] && kill_tree "$STREAM_PID"
  [ -n "$UPLOAD_PID" ] && stop_uploader
  [ -n "$INSMOD_PID" ] && kill -KILL "$INSMOD_PID" 2>/dev/null
  [ -n "$LIME_LOADED" ] && rmmod lime 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A failed capture interrupts the uploader with SIGINT: the AWS CLI then cancels its transfer and, once its
# reader sees the end of the stream, aborts the multipart upload instead of completing it ("cancelled:
# ctrl-c received", exit 1). The end of the stream comes only after the interrupt has been handled (a second
# to spare), so the CLI never sees a clean end first. Background jobs of a script ignore SIGINT: it is
# restored for the uploader (coreutils >= 8.31). Where it cannot be, the uploader is killed before its input
# closes: the upload is then left incomplete (invisible; the bucket's lifecycle rule removes its parts).
if env --default-signal=INT true 2>/dev/null; then
  INTERRUPTIBLE=(env --default-signal=INT)
else
  INTERRUPTIBLE=()
fi

stop_uploader() {
  if [ ${#INTERRUPTIBLE[@]} -gt 0 ] && kill -INT "$UPLOAD_PID" 2>/dev/null; then
    sleep 1
    exec 4>&-
    for _ in $(seq 1 200); do
      kill -0 "$UPLOAD_PID" 2>/dev/null || break
      sleep 0.05
    done
  fi
  kill -KILL "$UPLOAD_PID" 2>/dev/null
  exec 4>&-
  wait "$UPLOAD_PID" 2>/dev/null
  UPLOAD_PID=
}

s3() { aws --only-show-errors "$@"; }

# After a profile swap EC2 keeps serving the previous profile's credentials for a while: wait (bounded) until
# the metadata service serves the profile the workflow put on (InstanceProfile), so nothing is fetched or
# uploaded with another role's credentials. Without curl the check is skipped and said.
wait_for_profile() {
  [ -n "$PROFILE" ] || return 0
  if ! command -v curl >/dev/null 2>&1; then
    echo "capture-memory: curl is missing: not checking that the credentials are ${PROFILE}'s" >&2
    return 0
  fi
  local imds=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/} token info
  imds=${imds%/}
  for _ in $(seq 1 90); do
    token=$(curl -sf -m 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token") &&
      info=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/iam/info") &&
      [[ $info == *":instance-profile/${PROFILE}\""* ]] && return 0
    sleep 1
  done
  fail 5 "after 90 s the metadata service still serves another instance profile than $PROFILE: not uploading with another role's credentials"
}

# --- the tool -----------------------------------------------------------------------------------------
AVML="$WORK/avml"
fetch_avml() {
  s3 s3 cp "${TOOLS_URI}avml-${ARCH}" "$AVML" --region "$REGION" 2>"$WORK/fetch.err" ||
    fail 3 "fetch failed: ${TOOLS_URI}avml-${ARCH}: $(tail -n 1 "$WORK/fetch.err")"
  TOOL_SHA256=$(sha256sum "$AVML" | awk '{print $1}')
  [ "$TOOL_SHA256" = "$AVML_SHA256" ] ||
    fail 3 "avml-${ARCH}: SHA-256 $TOOL_SHA256 is not the expected $AVML_SHA256; refusing to run it"
  chmod 700 "$AVML"
  TOOL_VERSION=$("$AVML" --version 2>"$WORK/avml.err" | head -n 1) ||
    fail 3 "avml-${ARCH} cannot run here ($(tail -n 1 "$WORK/avml.err"); is $WORK_ROOT mounted noexec, or is it not an $ARCH build?)"
  [[ $TOOL_VERSION =~ ^avml\ [0-9A-Za-z.+-]{1,40}$ ]] || fail 3 "avml-${ARCH} --version said something else than avml <version>"
  # The current CLI (0.15+) has subcommands (`avml acquire FILE`); the legacy one takes the file alone.
  local help
  help=$("$AVML" --help 2>&1)
  if grep -qE '^[[:space:]]+acquire([[:space:]]|$)' <<<"$help"; then
    AVML_CMD=("$AVML" acquire)
    TOOL_VERSION="$TOOL_VERSION (current CLI)"
  else
    AVML_CMD=("$AVML")
    TOOL_VERSION="$TOOL_VERSION (legacy CLI)"
  fi
}

# One source, named: writing to a stream, AVML must not fall back to another source after writing bytes.
pick_source() {
  local kcore_bytes
  kcore_bytes=$(stat -c %s "$ROOT/proc/kcore" 2>/dev/null || echo 0)
  if [ "$kcore_bytes" -gt 8192 ] && [ -r "$ROOT/proc/kcore" ]; then
    SOURCE=/proc/kcore
  elif [ -r "$ROOT/dev/crash" ]; then
    SOURCE=/dev/crash
  elif [ -r "$ROOT/dev/mem" ]; then
    SOURCE=/dev/mem
  else
    fail 4 "no memory source is readable (/proc/kcore, /dev/crash, /dev/mem)"
  fi
}

# What the kernel reports: the System RAM ranges of /proc/iomem (root sees their addresses), else MemTotal.
# A LiME image is at most those ranges plus a 32-byte header each; a stream holding more (a source restarted
# into it) is refused. There is no lower bound: AVML skips blocks that are all zeros.
kernel_sizes() {
  local ram=0 ranges=0 start end
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*([0-9a-f]+)-([0-9a-f]+)\ :\ System\ RAM$ ]] || continue
    start=$((16#${BASH_REMATCH[1]}))
    end=$((16#${BASH_REMATCH[2]}))
    ram=$((ram + end - start + 1))
    ranges=$((ranges + 1))
  done <"$ROOT/proc/iomem"
  local mem_kb
  mem_kb=$(awk '/^MemTotal:/ {print $2}' "$ROOT/proc/meminfo" 2>/dev/null)
  [[ $mem_kb =~ ^[0-9]+$ ]] || fail 4 "cannot read MemTotal from /proc/meminfo"
  MEM_TOTAL=$((mem_kb * 1024))
  if [ "$ram" -le 0 ]; then ram=$((MEM_TOTAL + 256 * 1024 * 1024)) ranges=64; fi
  MAX_BYTES=$((ram + 32 * ranges))
}

# --- the stream ---------------------------------------------------------------------------------------
# Starts `aws s3 cp -` reading a FIFO whose write end this script holds (fd 4): the uploader sees the end
# of its stream only when the script closes fd 4 after judging the capture.
start_uploader() {
  rm -f "$WORK/upload"
  mkfifo "$WORK/upload" || fail 4 "mkfifo failed"
  "${INTERRUPTIBLE[@]}" aws --only-show-errors s3 cp - "s3://${BUCKET}/${KEY}" --region "$REGION" \
    --sse aws:kms --sse-kms-key-id "$KMS_KEY" --expected-size "$MAX_BYTES" \
    --metadata "case-id=${CASE_ID},kernel-release=${KERNEL},arch=${ARCH},tool=$1" \
    <"$WORK/upload" 2>"$WORK/upload.err" &
  UPLOAD_PID=$!
  exec 4>"$WORK/upload"
}

# Runs "$@" (the tool, writing the image to stdout) into the uploader; sets SHA and BYTES; returns the
# tool's status (tee's failure, e.g. the uploader gone, counts as the stream's).
stream_image() {
  rm -f "$WORK/sha256" "$WORK/bytes" "$WORK/status"
  # In the background, so that a SIGTERM (SSM's cancel) is handled at once, not when the tool ends.
  (
    # Only tee holds the uploader's input (fd 4): were the tool or a child of it to keep it open, the
    # uploader could never be told the stream ended after a cancel.
    "$@" 2>"$WORK/tool.err" 4>&- |
      tee >(exec 4>&-; sha256sum | awk '{print $1}' >"$WORK/sha256.part" && mv "$WORK/sha256.part" "$WORK/sha256") \
        >(exec 4>&-; wc -c | tr -d ' ' >"$WORK/bytes.part" && mv "$WORK/bytes.part" "$WORK/bytes") >&4 4>&-
    echo "${PIPESTATUS[*]}" >"$WORK/status"
  ) &
  STREAM_PID=$!
  wait "$STREAM_PID"
  STREAM_PID=
  local status
  read -r -a status <"$WORK/status" || status=(1 1)
  # The hash and the count are written by process substitutions once they have read everything.
  for _ in $(seq 1 600); do
    [ -e "$WORK/sha256" ] && [ -e "$WORK/bytes" ] && break
    sleep 0.05
  done
  SHA=$(cat "$WORK/sha256" 2>/dev/null)
  BYTES=$(cat "$WORK/bytes" 2>/dev/null)
  [ "${status[0]}" -eq 0 ] || return "${status[0]}"
  [ "${status[1]}" -eq 0 ] || return 100
  return 0
}

# Judges one attempt; on success completes the upload (closes the stream, waits for the CLI).
finish_upload() {
  exec 4>&-
  wait "$UPLOAD_PID"
  local rc=$?
  UPLOAD_PID=
  [ "$rc" -eq 0 ] || fail 5 "upload to s3://${BUCKET}/${KEY} failed: $(tail -n 1 "$WORK/upload.err")"
}

# AVML opens its destination with O_NOFOLLOW (0.17+), which refuses /dev/stdout (a symlink): it writes into
# a FIFO in the work directory, copied here to stdout. Its one source is named (--source), so it never
# restarts from another one, which would reopen the FIFO and append a second image to the stream.
avml_to_stdout() {
  local fifo="$WORK/image" avml reader release= rc
  rm -f "$fifo"
  mkfifo "$fifo" || return 4
  "${AVML_CMD[@]}" --source "$SOURCE" "$fifo" &
  avml=$!
  cat "$fifo" &
  reader=$!
  wait -n "$avml" "$reader"
  if kill -0 "$avml" 2>/dev/null; then
    # The stream ended while AVML runs on: it closed its output and would reopen it (a restarted source
    # appending a second image). Given a moment to exit, it is stopped and the capture fails.
    for _ in $(seq 1 30); do
      kill -0 "$avml" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$avml" 2>/dev/null; then
      kill_tree "$avml"
      wait "$avml" 2>/dev/null
      echo "avml closed its output and kept running (it would restart the stream): stopped" >&2
      return 4
    fi
  fi
  wait "$avml"
  rc=$?
  # An AVML that failed before opening the FIFO leaves the reader blocked in open(2): meet it once.
  if [ "$rc" -ne 0 ]; then
    (exec 6>"$fifo") 2>/dev/null &
    release=$!
  fi
  wait "$reader"
  [ -n "$release" ] && kill -KILL "$release" 2>/dev/null
  return "$rc"
}

attempt_avml() {
  start_uploader avml
  stream_image avml_to_stdout
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    stop_uploader
    [ "$rc" -eq 100 ] && fail 5 "upload to s3://${BUCKET}/${KEY} failed: $(tail -n 1 "$WORK/upload.err")"
    AVML_ERROR="avml exited with status $rc after ${BYTES:-0} bytes: $(tail -n 1 "$WORK/tool.err")"
    return 1
  fi
  return 0
}

check_size() {
  [[ $SHA =~ ^[0-9a-f]{64}$ ]] && [[ $BYTES =~ ^[0-9]+$ ]] || {
    stop_uploader
    fail 4 "no SHA-256 or byte count of the stream"
  }
  if [ "$BYTES" -eq 0 ] || [ "$BYTES" -gt "$MAX_BYTES" ]; then
    stop_uploader
    fail 6 "the image is $BYTES bytes; the kernel reports at most $MAX_BYTES (its System RAM and a header per range): upload aborted, nothing kept under $KEY"
  fi
}

# The inode of the socket listening on 127.0.0.1:<port> (/proc/net/tcp: local address in hex, state 0A).
listener_inode() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v want="0100007F:$hex" '$2 == want && $4 == "0A" {print $10; exit}' /proc/net/tcp 2>/dev/null
}
# Pids holding a socket by inode.
socket_owners() {
  find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$1\]" 2>/dev/null | cut -d/ -f3 | sort -u
}
# Whether pid $1 is $2 or one of its descendants.
descends_from() {
  local pid=$1 stat
  for _ in $(seq 1 64); do
    [ "$pid" = "$2" ] && return 0
    [ "$pid" -le 1 ] 2>/dev/null && return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    pid=$(echo "$stat" | awk '{print $2}')
  done
  return 1
}

# LiME, the fallback: the module of this kernel and architecture from LimeModuleUri, serving the image on a
# random local port that nothing listened on before the module was loaded, and whose listener no process
# other than insmod holds.
attempt_lime() {
  [ -n "$LIME_URI" ] || return 1
  local module="$WORK/lime.ko" port
  s3 s3 cp "${LIME_URI%/}/${KERNEL}/${ARCH}/lime.ko" "$module" --region "$REGION" 2>"$WORK/fetch.err" ||
    fail 3 "no LiME module for ${KERNEL}/${ARCH} under $LIME_URI: $(tail -n 1 "$WORK/fetch.err")"
  TOOL_SHA256=$(sha256sum "$module" | awk '{print $1}')
  for _ in $(seq 1 20); do
    port=$((49152 + RANDOM % 16000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    port=
  done
  [ -n "$port" ] || fail 4 "no free local port for LiME"
  TOOL_VERSION="lime (${KERNEL}, ${ARCH})"
  SOURCE="lime tcp:$port"
  insmod "$module" "path=tcp:$port format=lime localhostonly=1" 2>"$WORK/insmod.err" &
  INSMOD_PID=$!
  LIME_LOADED=1
  start_uploader lime
  read_lime() {
    local inode= owner
    for _ in $(seq 1 100); do
      inode=$(listener_inode "$port")
      [ -n "$inode" ] && break
      sleep 0.2
    done
    if [ -z "$inode" ]; then
      echo "LiME never listened on port $port" >&2
      return 1
    fi
    # The module's socket is the kernel's (no process holds it; insmod at most). Anything else listening
    # there squatted the port between the check and the load, and its bytes are not memory.
    for owner in $(socket_owners "$inode"); do
      if ! descends_from "$owner" "$INSMOD_PID"; then
        echo "port $port is held by pid $owner ($(cat "/proc/$owner/comm" 2>/dev/null)), not by the LiME module: refused" >&2
        return 9
      fi
    done
    exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
    cat <&3
  }
  stream_image read_lime
  local rc=$?
  wait "$INSMOD_PID" || rc=$?
  INSMOD_PID=
  if [ "$rc" -ne 0 ]; then
    stop_uploader
    local why
    why=$(tail -n 1 "$WORK/tool.err" 2>/dev/null)
    [ -n "$why" ] || why=$(tail -n 1 "$WORK/insmod.err" 2>/dev/null)
    fail 4 "LiME failed (status $rc) after ${BYTES:-0} bytes: ${why:-no message}; upload aborted, nothing kept under $KEY"
  fi
  TOOL_USED=lime
  return 0
}

# --- the examination context ----------------------------------------------------------------------------
json_string() { # escapes for JSON; control characters are dropped
  local s
  s=$(printf '%s' "$1" | tr -d '\000-\037' | head -c "${2:-600}")
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

collect_context() {
  local dir="$WORK/system"
  mkdir "$dir" || return 1
  cat "$ROOT/proc/version" >"$dir/proc-version" 2>/dev/null
  printf '%s\n' "$ARCH" >"$dir/uname-m"
  cat "$ROOT/etc/os-release" >"$dir/os-release" 2>/dev/null
  [ -r "$ROOT/sys/kernel/btf/vmlinux" ] && cat "$ROOT/sys/kernel/btf/vmlinux" >"$dir/btf-vmlinux"
  [ -r "$ROOT/boot/System.map-$KERNEL" ] && cat "$ROOT/boot/System.map-$KERNEL" >"$dir/System.map-$KERNEL"
  [ -r "$ROOT/proc/kallsyms" ] && cat "$ROOT/proc/kallsyms" >"$dir/kallsyms"
  tar -cf "$WORK/system.tar" -C "$dir" . 2>/dev/null || return 1
  local files="" name
  for f in "$dir"/*; do
    name=${f##*/}
    files="$files${files:+,}{\"name\":$(json_string "$name" 200),\"sha256\":\"$(sha256sum "$f" | awk '{print $1}')\",\"bytes\":$(stat -c %s "$f")}"
  done
  s3 s3 cp "$WORK/system.tar" "s3://${BUCKET}/${KEY}.system.tar" --region "$REGION" \
    --sse aws:kms --sse-kms-key-id "$KMS_KEY" 2>"$WORK/system.err" || return 1
  SYSTEM="{\"key\":\"${KEY}.system.tar\",\"sha256\":\"$(sha256sum "$WORK/system.tar" | awk '{print $1}')\",\"bytes\":$(stat -c %s "$WORK/system.tar"),\"files\":[$files]}"
}

# --- the capture ----------------------------------------------------------------------------------------
wait_for_profile
kernel_sizes
TOOL_USED=
AVML_ERROR=
case "$TOOL" in
  avml | auto)
    fetch_avml
    pick_source
    if attempt_avml; then
      TOOL_USED=avml
    elif [ "$TOOL" = auto ] && [ -n "$LIME_URI" ]; then
      echo "capture-memory: $AVML_ERROR; falling back to LiME" >&2
      attempt_lime
    else
      fail 4 "$AVML_ERROR; upload aborted, nothing kept under $KEY"
    fi
    ;;
  lime)
    TOOL_SHA256=
    attempt_lime || fail 3 "lime requested but no LimeModuleUri given"
    ;;
esac
check_size
finish_upload

SYSTEM=null
collect_context || echo "capture-memory: the image is complete, but its examination context was not uploaded: $(tail -n 1 "$WORK/system.err" 2>/dev/null)" >&2
BANNER=$(head -c 600 "$ROOT/proc/version" 2>/dev/null | tr -d '\n')
printf '{"sha256":"%s","bytes":%s,"kernel":"%s","arch":"%s","tool":"%s","toolVersion":%s,"toolSha256":"%s","source":%s,"banner":%s,"system":%s}\n' \
  "$SHA" "$BYTES" "$KERNEL" "$ARCH" "$TOOL_USED" "$(json_string "$TOOL_VERSION" 200)" "$TOOL_SHA256" \
  "$(json_string "$SOURCE" 200)" "$(json_string "$BANNER" 600)" "$SYSTEM"
[ "$SYSTEM" = null ] && exit 7
exit 0
