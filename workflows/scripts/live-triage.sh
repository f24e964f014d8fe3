#!/bin/bash
# forensics-bot: live triage of this instance, uploaded to the evidence bucket as one archive.
#
# Run by the SSM document ForensicsBot-LiveTriage after the memory capture, before isolation is tightened.
# It reads the live state from /proc and a few files — processes with their parent, command line, executable
# (and whether it was deleted) and working directory; sockets with their owning process; logged-in users;
# loaded modules; mounts; crontabs — into JSON members of a tar archive (the live-triage contract of the
# examination engine, workflows/examine/triage.ts), built in RAM (/dev/shm) and uploaded with SSE-KMS as the
# instance profile (the quarantine profile), like the memory image. Nothing is written to the disks.
# Every string from the instance is JSON-escaped and reduced to printable ASCII: it is attacker text.
# The last line of stdout is one JSON object: {"sha256","bytes","key","members","processes","collectedAt"}.
#
# Exit codes: 2 invalid parameter, 4 collection failed, 5 upload failed.
set -u
set -o pipefail
umask 077
export LC_ALL=C

fail() {
  local code=$1
  shift
  echo "live-triage: $*" >&2
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
PROFILE=${SSM_InstanceProfile:-}
valid CaseId "$CASE_ID" '^CASE-[0-9]{8}-[0-9A-HJKMNP-TV-Z]{4}$'
valid Bucket "$BUCKET" '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
valid Key "$KEY" "^${CASE_ID}/memory/[A-Za-z0-9._-]{1,200}$"
valid Region "$REGION" '^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$'
valid KmsKeyId "$KMS_KEY" '^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]{1,256}$'
valid InstanceProfile "$PROFILE" '^([A-Za-z0-9_+=,.@-]{1,128})?$'

# Files other than /proc (passwd, crontabs) under FORENSICS_ROOT: tests only; SSM sets no such variable.
ROOT=${FORENSICS_ROOT:-}
WORK_ROOT=${FORENSICS_WORK_DIR:-/dev/shm}
[ -d "$WORK_ROOT" ] || fail 4 "$WORK_ROOT is missing: refusing to write anywhere else"
WORK=$(mktemp -d "$WORK_ROOT/forensics-bot-triage.XXXXXX") || fail 4 "cannot create a work directory in $WORK_ROOT"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 143' TERM
OUT="$WORK/triage"
mkdir "$OUT" || fail 4 "cannot create $OUT"

# A JSON string of attacker-controlled text, bounded: printable ASCII, newlines and tabs kept (escaped),
# every other byte '?', backslash and quote escaped.
js() {
  local s
  s=$(printf '%s' "$1" | head -c "${2:-4096}" | tr '\n\t' '\036\037' | tr -c '\036\037\040-\176' '?')
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\036'/\\n}
  s=${s//$'\037'/\\t}
  printf '"%s"' "$s"
}

COLLECTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
BOOT=$(awk '/^btime / {print $2}' /proc/stat)

declare -A USERS=()
if [ -r "$ROOT/etc/passwd" ]; then
  while IFS=: read -r name _ uid _; do
    [[ $uid =~ ^[0-9]+$ ]] && USERS[$uid]=$name
  done <"$ROOT/etc/passwd"
fi

# --- processes -------------------------------------------------------------------------------------------
# A userland rootkit (/etc/ld.so.preload hooking readdir, which this bash and its tools load too) hides a
# process from listings of /proc, not from a look-up by number: every pid up to the highest in use is looked
# up, and a thread-group leader found only that way is collected and reported as hidden. (Threads answer a
# look-up too, but are never listed: only leaders count. A pid above both the last allocated and the
# highest listed one, after the pid counter wrapped, is not looked up.)
declare -A LISTED=() HIDDEN=()
PIDS=()
MAX_PID=0
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  [[ $pid =~ ^[0-9]+$ ]] || continue
  LISTED[$pid]=1
  PIDS+=("$pid")
  ((pid > MAX_PID)) && MAX_PID=$pid
done
LAST_PID=$(cat /proc/sys/kernel/ns_last_pid 2>/dev/null) || LAST_PID=0
[[ $LAST_PID =~ ^[0-9]+$ ]] && ((LAST_PID > MAX_PID)) && MAX_PID=$LAST_PID
for ((n = 1; n <= MAX_PID; n++)); do
  [ -n "${LISTED[$n]:-}" ] && continue
  [ -e "/proc/$n/stat" ] || continue
  tgid=
  while read -r field value _; do
    [ "$field" = "Tgid:" ] && tgid=$value && break
  done <"/proc/$n/status" 2>/dev/null
  [ "$tgid" = "$n" ] || continue
  HIDDEN[$n]=1
done
# A process started during the look-ups is in a second listing, one that ended is gone from a look-up after
# it: neither is hidden.
for d in /proc/[0-9]*; do
  unset "HIDDEN[${d#/proc/}]"
done
for n in ${HIDDEN[@]+"${!HIDDEN[@]}"}; do
  if [ -e "/proc/$n/stat" ]; then PIDS+=("$n"); else unset "HIDDEN[$n]"; fi
done

collect_processes() {
  local first=1 count=0 d pid stat rest fields ppid start uid exe deleted cmdline cwd comm
  printf '['
  for pid in "${PIDS[@]}"; do
    d=/proc/$pid
    { stat=$(<"$d/stat"); } 2>/dev/null || continue
    rest=${stat##*) }
    read -r -a fields <<<"$rest"
    ppid=${fields[1]}
    start=${fields[19]}
    { comm=$(<"$d/comm"); } 2>/dev/null || comm=
    uid=$(awk '/^Uid:/ {print $2; exit}' "$d/status" 2>/dev/null)
    exe=$(readlink "$d/exe" 2>/dev/null) || exe=
    deleted=false
    [[ $exe == *" (deleted)" ]] && deleted=true && exe=${exe% (deleted)}
    cmdline=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | head -c 2048)
    cwd=$(readlink "$d/cwd" 2>/dev/null) || cwd=
    [ $first -eq 1 ] || printf ','
    first=0
    printf '{"pid":%s,"ppid":%s,"comm":%s,"user":%s' "$pid" "$ppid" "$(js "$comm" 64)" "$(js "${USERS[$uid]:-$uid}" 64)"
    [ -n "$exe" ] && printf ',"exe":%s,"exeDeleted":%s' "$(js "$exe" 1024)" "$deleted"
    [ -n "$cmdline" ] && printf ',"cmdline":%s' "$(js "${cmdline% }" 2048)"
    [ -n "$cwd" ] && printf ',"cwd":%s' "$(js "$cwd" 1024)"
    [ -n "${HIDDEN[$pid]:-}" ] && printf ',"hidden":true'
    [[ $start =~ ^[0-9]+$ ]] && [[ $BOOT =~ ^[0-9]+$ ]] &&
      printf ',"startTime":"%s"' "$(date -u -d "@$((BOOT + start / HZ))" +%Y-%m-%dT%H:%M:%SZ)"
    printf '}'
    count=$((count + 1))
    [ $count -ge 5000 ] && break
  done
  printf ']\n'
}

# --- sockets ---------------------------------------------------------------------------------------------
declare -A OWNER=()
FD_DIRS=()
for pid in "${PIDS[@]}"; do FD_DIRS+=("/proc/$pid/fd"); done
while read -r fd link; do
  [[ $link =~ ^socket:\[([0-9]+)\]$ ]] || continue
  pid=${fd#/proc/}
  OWNER[${BASH_REMATCH[1]}]=${pid%%/*}
done < <(find "${FD_DIRS[@]}" -maxdepth 1 -lname 'socket:*' -printf '%p %l\n' 2>/dev/null)

# /proc/net addresses are hex in host (little-endian) order per 32-bit word.
address() { # hex-address:hex-port
  local hex=${1%:*} port=$((16#${1#*:}))
  if [ ${#hex} -eq 8 ]; then
    printf '%d.%d.%d.%d:%d' "$((16#${hex:6:2}))" "$((16#${hex:4:2}))" "$((16#${hex:2:2}))" "$((16#${hex:0:2}))" "$port"
  else
    local groups=() w word
    for w in 0 8 16 24; do
      word=${hex:$w:8}
      word=${word:6:2}${word:4:2}${word:2:2}${word:0:2}
      groups+=("$(printf '%x' $((16#${word:0:4})))" "$(printf '%x' $((16#${word:4:4})))")
    done
    local joined
    joined=$(IFS=:; echo "${groups[*]}")
    printf '[%s]:%d' "$joined" "$port"
  fi
}

collect_sockets() {
  local first=1 proto file sl local remote st rest inode state
  printf '['
  for proto in tcp tcp6 udp udp6; do
    file=/proc/net/$proto
    [ -r "$file" ] || continue
    while read -r sl local remote st _ _ _ _ _ inode rest; do
      [[ $sl == *: ]] || continue
      case "$st" in
        01) state=ESTABLISHED ;; 02) state=SYN_SENT ;; 03) state=SYN_RECV ;; 06) state=TIME_WAIT ;;
        07) state=CLOSE ;; 08) state=CLOSE_WAIT ;; 0A) state=LISTEN ;; *) state=$st ;;
      esac
      [ $first -eq 1 ] || printf ','
      first=0
      printf '{"proto":"%s","local":"%s","remote":"%s","state":"%s"' "$proto" "$(address "$local")" "$(address "$remote")" "$state"
      [ -n "${OWNER[$inode]:-}" ] && printf ',"pid":%s' "${OWNER[$inode]}"
      printf '}'
    done <"$file"
  done
  printf ']\n'
}

# --- users, modules, mounts, crontabs --------------------------------------------------------------------
collect_users() {
  local first=1 user tty day time from
  printf '{"loggedIn":['
  while read -r user tty day time from; do
    [ -n "$user" ] || continue
    [ $first -eq 1 ] || printf ','
    first=0
    from=${from#(}
    printf '{"user":%s,"tty":%s,"since":%s' "$(js "$user" 64)" "$(js "$tty" 64)" "$(js "$day $time" 64)"
    [ -n "$from" ] && printf ',"from":%s' "$(js "${from%)}" 256)"
    printf '}'
  done < <(who 2>/dev/null)
  printf ']}\n'
}

collect_modules() {
  local first=1 name size rest taint
  printf '['
  [ -r /proc/modules ] || {
    printf ']\n'
    return 0
  }
  while read -r name size rest; do
    [ $first -eq 1 ] || printf ','
    first=0
    taint=
    [[ $rest =~ \(([A-Z]+)\)$ ]] && taint=${BASH_REMATCH[1]}
    size=${size//[^0-9]/}
    printf '{"name":%s,"size":%s' "$(js "$name" 64)" "${size:-0}"
    [ -n "$taint" ] && printf ',"taint":"%s"' "$taint"
    printf '}'
  done </proc/modules
  printf ']\n'
}

collect_mounts() {
  local first=1 source target fstype options rest
  printf '['
  while read -r source target fstype options rest; do
    [ $first -eq 1 ] || printf ','
    first=0
    printf '{"source":%s,"target":%s,"fstype":%s,"options":%s}' "$(js "$source" 512)" "$(js "$target" 512)" "$(js "$fstype" 64)" "$(js "$options" 512)"
  done </proc/mounts
  printf ']\n'
}

collect_crontabs() {
  local first=1 file user
  printf '['
  for file in "$ROOT"/etc/crontab "$ROOT"/etc/cron.d/* "$ROOT"/var/spool/cron/* "$ROOT"/var/spool/cron/crontabs/*; do
    [ -f "$file" ] && [ -r "$file" ] || continue
    case "$file" in */etc/*) user=root ;; *) user=${file##*/} ;; esac
    [ $first -eq 1 ] || printf ','
    first=0
    printf '{"user":%s,"path":%s,"content":%s}' "$(js "$user" 64)" "$(js "${file#"$ROOT"}" 512)" \
      "$(js "$(head -c 65536 "$file")" 65536)"
  done
  printf ']\n'
}

INSTANCE=${AWS_SSM_INSTANCE_ID:-unknown}
[[ $INSTANCE =~ ^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17}|unknown)$ ]] || INSTANCE=unknown
printf '{"instanceId":"%s","collectedAt":"%s","hostname":%s,"tool":"forensics-bot live-triage 1"}\n' \
  "$INSTANCE" "$COLLECTED_AT" "$(js "$(hostname 2>/dev/null)" 256)" >"$OUT/meta.json" || fail 4 "cannot write meta.json"
collect_processes >"$OUT/processes.json" || fail 4 "collecting processes failed"
collect_sockets >"$OUT/sockets.json" || fail 4 "collecting sockets failed"
collect_users >"$OUT/users.json" || fail 4 "collecting users failed"
collect_modules >"$OUT/modules.json" || fail 4 "collecting modules failed"
collect_mounts >"$OUT/mounts.json" || fail 4 "collecting mounts failed"
collect_crontabs >"$OUT/crontabs.json" || fail 4 "collecting crontabs failed"

ARCHIVE="$WORK/triage.tar"
tar -cf "$ARCHIVE" -C "$OUT" meta.json processes.json sockets.json users.json modules.json mounts.json crontabs.json ||
  fail 4 "tar failed"
SHA=$(sha256sum "$ARCHIVE" | awk '{print $1}')
BYTES=$(stat -c %s "$ARCHIVE")

# After a profile swap EC2 keeps serving the previous profile's credentials for a while: wait (bounded) until
# the metadata service serves the profile the workflow put on (InstanceProfile), so the archive is not
# uploaded with another role's credentials. The same wait as capture-memory.sh's (each document runs alone,
# so it cannot be shared); without curl the check is skipped and said.
wait_for_profile() {
  [ -n "$PROFILE" ] || return 0
  if ! command -v curl >/dev/null 2>&1; then
    echo "live-triage: curl is missing: not checking that the credentials are ${PROFILE}'s" >&2
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
wait_for_profile
aws --only-show-errors s3 cp "$ARCHIVE" "s3://${BUCKET}/${KEY}" --region "$REGION" --sse aws:kms \
  --sse-kms-key-id "$KMS_KEY" --metadata "case-id=${CASE_ID},sha256=${SHA}" 2>"$WORK/upload.err" ||
  fail 5 "upload to s3://${BUCKET}/${KEY} failed: $(tail -n 1 "$WORK/upload.err")"
PROCESSES=$(grep -o '"pid":' "$OUT/processes.json" | wc -l)
printf '{"sha256":"%s","bytes":%s,"key":"%s","members":["meta","processes","sockets","users","modules","mounts","crontabs"],"processes":%s,"collectedAt":"%s"}\n' \
  "$SHA" "$BYTES" "$KEY" "$PROCESSES" "$COLLECTED_AT"
