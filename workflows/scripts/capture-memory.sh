#!/bin/bash
# forensics-bot: capture this instance's memory and stream it to the evidence bucket.
#
# Run by the SSM document ForensicsBot-CaptureMemory. Nothing is written to the instance's disks: the
# image goes from the capture tool through a FIFO in RAM (/dev/shm) to `aws s3 cp -`, and its SHA-256
# and size are computed from the same stream (tee). The last line of output is one JSON object:
#   {"sha256":"<hex>","bytes":<n>,"kernel":"<uname -r>","tool":"<tool version>"}
#
# Parameters arrive as environment variables (the document's interpolationType ENV_VAR, SSM Agent
# >= 3.3.2746.0). Older agents interpolate {{ }} into this text instead; the fallback below does that only
# for parameters that are not secret. The upload credentials are read from the environment only, never
# from this text (SSM writes the text to disk), and are never printed. Every value is checked against a
# strict pattern before use (the document's allowedPattern checks them too).
#
# Exit codes: 2 invalid parameter, 3 no capture tool, 4 capture failed, 5 upload failed,
#             6 stream check failed (empty or size mismatch), 7 credentials not passed as environment.
set -u
set -o pipefail
umask 077

[ -z "${SSM_CaseId+x}" ] && SSM_CaseId="{{ CaseId }}"
[ -z "${SSM_Bucket+x}" ] && SSM_Bucket="{{ Bucket }}"
[ -z "${SSM_Key+x}" ] && SSM_Key="{{ Key }}"
[ -z "${SSM_Region+x}" ] && SSM_Region="{{ Region }}"
[ -z "${SSM_ExpectedBytes+x}" ] && SSM_ExpectedBytes="{{ ExpectedBytes }}"
[ -z "${SSM_Tool+x}" ] && SSM_Tool="{{ Tool }}"
[ -z "${SSM_LimeModuleUri+x}" ] && SSM_LimeModuleUri="{{ LimeModuleUri }}"

fail() {
  local code=$1
  shift
  echo "capture-memory: $*" >&2
  exit "$code"
}

valid() { # name value pattern
  [[ $2 =~ $3 ]] || fail 2 "parameter $1 is not valid"
}

CASE_ID=${SSM_CaseId}
BUCKET=${SSM_Bucket}
KEY=${SSM_Key}
REGION=${SSM_Region}
EXPECTED=${SSM_ExpectedBytes:-}
TOOL=${SSM_Tool:-auto}
LIME_URI=${SSM_LimeModuleUri:-}
valid CaseId "$CASE_ID" '^CASE-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{4}$'
valid Bucket "$BUCKET" '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'
valid Key "$KEY" "^${CASE_ID}/memory/[A-Za-z0-9._-]{1,200}$"
valid Region "$REGION" '^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$'
valid ExpectedBytes "$EXPECTED" '^[0-9]{0,15}$'
valid Tool "$TOOL" '^(auto|avml|lime)$'
valid LimeModuleUri "$LIME_URI" '^(s3://[a-z0-9][a-z0-9-]{1,61}[a-z0-9](/[A-Za-z0-9._-]+)*/?)?$'

# The upload session: environment only (see above), checked, exported to the upload command alone.
[ -n "${SSM_AccessKeyId:-}" ] && [ -n "${SSM_SecretAccessKey:-}" ] && [ -n "${SSM_SessionToken:-}" ] ||
  fail 7 "upload credentials were not passed as environment variables (SSM Agent 3.3.2746.0 or later is needed)"
valid AccessKeyId "$SSM_AccessKeyId" '^[A-Z0-9]{16,128}$'
valid SecretAccessKey "$SSM_SecretAccessKey" '^[A-Za-z0-9/+=]{16,128}$'
valid SessionToken "$SSM_SessionToken" '^[A-Za-z0-9/+=]{16,4096}$'

KERNEL=$(uname -r) || fail 4 "uname -r failed"
valid kernel "$KERNEL" '^[A-Za-z0-9._+~-]{1,100}$'

# Work in RAM only. FORENSICS_WORK_DIR exists for tests; SSM sets no such variable.
WORK_ROOT=${FORENSICS_WORK_DIR:-/dev/shm}
[ -d "$WORK_ROOT" ] || fail 4 "$WORK_ROOT is missing: refusing to write anywhere else"
WORK=$(mktemp -d "$WORK_ROOT/forensics-bot.XXXXXX") || fail 4 "cannot create a work directory in $WORK_ROOT"
CAPTURE_PID=
cleanup() {
  [ -n "$CAPTURE_PID" ] && kill "$CAPTURE_PID" 2>/dev/null
  [ "$TOOL_USED" = lime ] && rmmod lime 2>/dev/null
  rm -rf "$WORK"
}
TOOL_USED=
trap cleanup EXIT

if [ -z "$EXPECTED" ]; then
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)
  [[ $mem_kb =~ ^[0-9]+$ ]] && EXPECTED=$(( mem_kb * 1024 + 64 * 1024 * 1024 ))
fi
size_args=()
[ -n "$EXPECTED" ] && size_args=(--expected-size "$EXPECTED")

FIFO="$WORK/image"
mkfifo "$FIFO" || fail 4 "mkfifo failed"

# A capture that fails before opening the FIFO would leave the reader blocked in open(2) forever. After a
# failed capture, open the FIFO for writing once and close it: that meets the reader whenever it gets there
# (it may not have opened the FIFO yet) and gives it its EOF. If the tool had opened the FIFO, the reader
# has its EOF already and no reader will come: the open is bounded.
release_fifo() { timeout 10 bash -c ': >"$1"' release "$FIFO" 2>/dev/null || true; }

start_avml() {
  command -v avml >/dev/null 2>&1 || return 1
  TOOL_VERSION="avml $(avml --version 2>/dev/null | awk '{print $NF}' | head -n 1)"
  TOOL_USED=avml
  (
    avml "$FIFO"
    rc=$?
    release_fifo
    exit "$rc"
  ) &
  CAPTURE_PID=$!
}

start_lime() {
  [ -n "$LIME_URI" ] || return 1
  local module="$WORK/lime.ko"
  # Read with the instance's own (quarantine profile) credentials, into RAM.
  aws s3 cp --only-show-errors --region "$REGION" "${LIME_URI%/}/${KERNEL}/lime.ko" "$module" ||
    fail 3 "no LiME module for kernel $KERNEL under $LIME_URI"
  TOOL_VERSION="lime (${KERNEL})"
  TOOL_USED=lime
  # LiME serves the image on a local TCP port while insmod runs; bash reads it into the FIFO.
  insmod "$module" "path=tcp:4444 format=lime localhostonly=1" &
  INSMOD_PID=$!
  (
    for _ in $(seq 1 100); do
      if exec 3<>/dev/tcp/127.0.0.1/4444; then
        cat <&3 >"$FIFO"
        exit $?
      fi 2>/dev/null
      sleep 0.2
    done
    release_fifo
    exit 1
  ) &
  CAPTURE_PID=$!
}

INSMOD_PID=
case "$TOOL" in
  avml) start_avml || fail 3 "avml is not installed" ;;
  lime) start_lime || fail 3 "LiME needs LimeModuleUri" ;;
  auto) start_avml || start_lime || fail 3 "neither avml nor a LiME module prefix is available" ;;
esac

# One stream: capture -> tee (sha256, byte count) -> S3. The upload credentials exist only in the
# environment of the `aws` process.
cat "$FIFO" |
  tee >(sha256sum | awk '{print $1}' >"$WORK/sha256") >(wc -c | tr -d ' ' >"$WORK/bytes") |
  AWS_ACCESS_KEY_ID="$SSM_AccessKeyId" AWS_SECRET_ACCESS_KEY="$SSM_SecretAccessKey" \
    AWS_SESSION_TOKEN="$SSM_SessionToken" \
    aws s3 cp - "s3://${BUCKET}/${KEY}" --only-show-errors --region "$REGION" "${size_args[@]}" \
    --metadata "case-id=${CASE_ID},kernel-release=${KERNEL},tool=${TOOL_USED}"
status=("${PIPESTATUS[@]}")
unset SSM_AccessKeyId SSM_SecretAccessKey SSM_SessionToken

wait "$CAPTURE_PID"
capture_status=$?
CAPTURE_PID=
if [ -n "$INSMOD_PID" ]; then
  wait "$INSMOD_PID" || capture_status=$?
fi
[ "$capture_status" -eq 0 ] || fail 4 "$TOOL_USED exited with status $capture_status"
[ "${status[2]}" -eq 0 ] || fail 5 "upload to s3://${BUCKET}/${KEY} failed (status ${status[2]})"
[ "${status[0]}" -eq 0 ] && [ "${status[1]}" -eq 0 ] || fail 4 "reading the image failed"

# The hash and the count come from process substitutions: wait (bounded) for both to be written.
for _ in $(seq 1 300); do
  [ -s "$WORK/sha256" ] && [ -s "$WORK/bytes" ] && break
  sleep 0.1
done
SHA=$(cat "$WORK/sha256" 2>/dev/null)
BYTES=$(cat "$WORK/bytes" 2>/dev/null)
[[ $SHA =~ ^[0-9a-f]{64}$ ]] || fail 6 "no SHA-256 of the stream"
[[ $BYTES =~ ^[0-9]+$ ]] && [ "$BYTES" -gt 0 ] || fail 6 "the image is empty"

printf '{"sha256":"%s","bytes":%s,"kernel":"%s","tool":"%s"}\n' "$SHA" "$BYTES" "$KERNEL" "$TOOL_VERSION"
