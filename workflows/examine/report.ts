import type { Finding, Severity } from './findings.js';

/** Everything report.md says, gathered by the engine. */
export interface ReportInput {
  generatedAt: string;
  tool: { name: string; version: string };
  tools: Record<string, string>;
  inputs: { path: string; sha256: string; bytes: number; kind: string }[];
  window: { since: string; until?: string; defaulted: boolean };
  findings: Finding[];
  counts: Record<Severity, number>;
  filesystems: {
    label: string;
    entries: number;
    deleted: { path: string; size: number; time?: string; recovered: boolean }[];
    unallocatedBytes: number;
    unallocatedScannedBytes: number;
    packages: { verified: number; missing: number };
  }[];
  memory?: { bytes: number; scannedBytes: number; volatility: { ran: boolean; reason?: string } };
  triage?: { processes: number; sockets: number };
  timelineRows: number;
  skipped: string[];
}

const SECTIONS: [string, (f: Finding) => boolean][] = [
  ['Is the actor still active?', (f) => f.category === 'activity'],
  ['How did they get in?', (f) => f.category === 'access'],
  ['Persistence', (f) => f.category === 'persistence'],
  ['Credentials at risk', (f) => f.category === 'credentials'],
  ['What was executed', (f) => f.category === 'execution'],
  ["The finding's indicators", (f) => f.category === 'ioc'],
  ['Integrity, malware and deleted files', (f) => ['integrity', 'malware', 'deleted'].includes(f.category)],
];

function cell(s: string | undefined): string {
  return (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The report a person reads: the responder's questions in order, then what was examined and how. */
export function renderReport(r: ReportInput): string {
  const out: string[] = [];
  const c = r.counts;
  out.push('# Examination report', '');
  out.push(
    `${r.findings.length} findings: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low, ${c.info} info. ` +
      `Window: from ${r.window.since}${r.window.until ? ` to ${r.window.until}` : ''}${r.window.defaulted ? ' (no --since given: the 30 days before the latest modification in the image)' : ''}.`,
    '',
  );
  for (const [title, match] of SECTIONS) {
    const list = r.findings.filter(match);
    out.push(`## ${title}`, '');
    if (!list.length) {
      out.push('Nothing found.', '');
      continue;
    }
    out.push('| severity | finding | path | time | evidence | source |', '|---|---|---|---|---|---|');
    for (const f of list)
      out.push(
        `| ${f.severity} | ${cell(f.title)} | ${cell(f.path)} | ${cell(f.time)} | ${cell(f.evidence)} | ${cell(f.source)} |`,
      );
    out.push('');
  }
  out.push('## Evidence examined', '');
  out.push('| input | kind | bytes | SHA-256 |', '|---|---|---|---|');
  for (const i of r.inputs) out.push(`| ${cell(i.path)} | ${i.kind} | ${i.bytes} | \`${i.sha256}\` |`);
  out.push('');
  for (const fs of r.filesystems) {
    out.push(`### ${fs.label}`, '');
    out.push(
      `- ${fs.entries} names in the filesystem (bodyfile), ${fs.deleted.length} deleted files (${fs.deleted.filter((d) => d.recovered).length} recovered and scanned).`,
      `- Unallocated space: ${mib(fs.unallocatedBytes)}, of which ${mib(fs.unallocatedScannedBytes)} not zeros, scanned with YARA in chunks.`,
      `- Packages: ${fs.packages.verified} files verified against dpkg's md5sums, ${fs.packages.missing} listed files absent.`,
      '',
    );
    if (fs.deleted.length) {
      out.push('Deleted files:', '', '| path | bytes | modified | recovered |', '|---|---|---|---|');
      for (const d of fs.deleted.slice(0, 200))
        out.push(`| ${cell(d.path)} | ${d.size} | ${d.time ?? ''} | ${d.recovered ? 'yes' : 'no'} |`);
      if (fs.deleted.length > 200) out.push(`| … ${fs.deleted.length - 200} more | | | |`);
      out.push('');
    }
  }
  if (r.memory) {
    out.push('### Memory', '');
    out.push(
      `- YARA over ${mib(r.memory.bytes)} of memory (${mib(r.memory.scannedBytes)} not zeros), in chunks.`,
    );
    out.push(
      r.memory.volatility.ran
        ? '- Volatility 3 ran (linux.pslist); its output is beside this report.'
        : `- ${r.memory.volatility.reason}`,
    );
    out.push('');
  } else out.push('No memory image was given: memory was not examined.', '');
  if (r.triage)
    out.push(`Live triage: ${r.triage.processes} processes and ${r.triage.sockets} sockets examined.`, '');
  else out.push('No live-triage archive was given.', '');
  out.push(`The timeline (timeline.csv) holds ${r.timelineRows} rows of the window.`, '');
  if (r.skipped.length) {
    out.push('## Not examined', '');
    for (const s of r.skipped) out.push(`- ${s}`);
    out.push('');
  }
  out.push('## Tools', '');
  out.push(`- ${r.tool.name} ${r.tool.version}`);
  for (const [k, v] of Object.entries(r.tools)) out.push(`- ${k} ${v}`);
  out.push(`- Generated ${r.generatedAt}. The images were read with The Sleuth Kit and never mounted.`, '');
  return out.join('\n');
}
