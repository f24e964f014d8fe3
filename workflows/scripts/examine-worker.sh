#!/bin/bash
# The forensic worker's examination (issue 12, item 4), run by the ForensicsBot-Examine document on a
# worker launched from the forensic AMI. Parameters arrive as SSM_<Name> environment variables (never
# spliced into this text): SSM_CaseId SSM_Bucket SSM_Region SSM_KmsKeyId SSM_Inputs SSM_Iocs SSM_Since
# SSM_LockMode SSM_RetainUntil SSM_Stamp SSM_Mode (fetch: the evidence only, for an investigator's
# workstation, kept under /var/lib/forensics-bot/evidence). The engine baked into the AMI reads them itself.
set -euo pipefail
export SSM_CaseId SSM_Bucket SSM_Region SSM_KmsKeyId SSM_Inputs SSM_Iocs SSM_Since SSM_LockMode SSM_RetainUntil SSM_Stamp SSM_Mode
export EXAMINE_WORK_DIR=/var/lib/forensics-bot/work FORENSICS_BOT_VERSION="$(cat /opt/forensics-bot/VERSION)"
export EXAMINE_EVIDENCE_DIR=/var/lib/forensics-bot/evidence
mkdir -p "$EXAMINE_WORK_DIR" "$EXAMINE_EVIDENCE_DIR"
exec /usr/bin/node /opt/forensics-bot/examine-worker.mjs
