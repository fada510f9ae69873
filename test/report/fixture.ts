import type {CheckMeta, Severity} from '../../src/checks/types.js'
import type {
  NagiosStatus,
  Report,
  ReportCounts,
  ReportResult,
  SeverityCounts,
} from '../../src/engine/model.js'

/** A message quoting hostile config content: perfdata pipe, markup, quotes and a raw ESC. */
export const NASTY_MESSAGE =
  `allowed_source_subnets has "0.0.0.0/0" & 'any' <unrestricted> | every peer may ask for ` +
  `temperatures\u001b[2J`

function meta(
  id: string,
  title: string,
  severity: Severity,
  profiles: CheckMeta['profiles'],
  remediation: string,
  reference = 'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "File Permissions"',
): CheckMeta {
  return {
    id,
    title,
    severity,
    profiles,
    tags: ['files'],
    rationale: `${title}: otherwise an attacker on the host gains access to what the service protects.`,
    remediation,
    reference,
    example: {fail: 'before', pass: 'after'},
  }
}

const checks: CheckMeta[] = [
  meta(
    'PCP-ACCESS-002',
    'pmcd [access] does not allow every host',
    'high',
    ['pcp-collector'],
    'Replace "allow hosts *" with the monitoring hosts in /etc/pcp/pmcd/pmcd.conf',
    'https://man7.org/linux/man-pages/man1/pmcd.1.html',
  ),
  meta('PCP-FILE-003', 'pmcd.conf is writable only by root', 'medium', ['pcp-collector'], 'chown root:root'),
  meta(
    'PCP-TLS-001',
    'pmcd requires TLS for remote clients',
    'medium',
    ['pcp-collector'],
    'Configure [pmcd] secure sockets',
  ),
  meta(
    'PCP-LOG-004',
    'pmlogger archives are not world-readable',
    'low',
    ['pcp-collector', 'pcp-monitor'],
    'chmod o-rx the archive directory',
  ),
  meta('TEST-PMPROXY-001', 'pmproxy listens on loopback only', 'low', ['pcp-monitor'], 'Set -i 127.0.0.1'),
  meta(
    'PSP-SVC-005',
    'Proxy unit hides home directories',
    'info',
    ['pulse-proxy'],
    'Add ProtectHome=yes to the [Service] section',
  ),
  meta(
    'PSP-CONF-002',
    'Proxy accepts requests only from allowed peers',
    'high',
    ['pulse-proxy'],
    "Limit the subnets to the Pulse container's address:\nallowed_source_subnets:\n  - 10.0.0.5/32",
  ),
  meta(
    'PSP-FILE-001',
    'Proxy private key is readable only by its owner',
    'critical',
    ['pulse-proxy'],
    'chmod 0600 /var/lib/pulse-sensor-proxy/ssh/id_ed25519',
  ),
  meta(
    'PSP-FILE-002',
    'Proxy socket directory is not writable by others',
    'medium',
    ['pulse-proxy'],
    'chmod 0755',
  ),
  meta(
    'PVE-USER-001',
    'Proxy user has no Proxmox API token with admin rights',
    'high',
    ['proxmox-host', 'pulse-proxy'],
    'pveum acl delete / --tokens pulse-monitor@pam!pulse --roles Administrator',
  ),
  meta(
    'PCT-MOUNT-001',
    'Container mounts the proxy socket read-only',
    'medium',
    ['pulse-container'],
    'Add ro=1 to the mount point',
  ),
  meta(
    'PCT-ENV-002',
    'Container has no proxy key in its environment',
    'low',
    ['pulse-container'],
    'unset it',
  ),
]

function result(
  id: string,
  status: ReportResult['status'],
  message: string,
  extra: Partial<ReportResult> = {},
): ReportResult {
  const check = checks.find((c) => c.id === id)
  if (!check) throw new Error(`no check ${id} in the fixture`)
  return {
    check: id,
    title: check.title,
    severity: check.severity,
    status,
    message,
    remediation: check.remediation,
    ...extra,
  }
}

const results: ReportResult[] = [
  result('PCP-ACCESS-002', 'fail', 'allow hosts * grants every host all access', {
    path: '/etc/pcp/pmcd/pmcd.conf',
    line: 42,
    evidence: 'allow hosts * : all;',
    waived: {
      reason: 'lab network, tracked in OPS-1234',
      expires: '2030-01-31',
      source: '/etc/pcp-harden/waivers.yaml',
    },
  }),
  result('PCP-FILE-003', 'pass', 'pmcd.conf is 0644 root:root', {path: '/etc/pcp/pmcd/pmcd.conf'}),
  result('PCP-TLS-001', 'fail', 'pmcd accepts unencrypted remote connections: no secure sockets are set up'),
  result('PCP-LOG-004', 'fail', 'archive directory is readable by everybody', {
    path: '/var/log/pcp/pmlogger/host #2',
    evidence: '0755 pcp:pcp',
  }),
  result('PCP-LOG-004', 'pass', 'archive directory is private', {path: '/var/log/pcp/pmlogger/pve1'}),
  result('TEST-PMPROXY-001', 'pass', 'pmproxy listens on 127.0.0.1', {
    path: '/etc/sysconfig/pmproxy',
    line: 3,
  }),
  result('PSP-SVC-005', 'fail', 'ProtectHome is not set', {
    path: '/etc/systemd/system/pulse-sensor-proxy.service',
    line: 9,
  }),
  result('PSP-CONF-002', 'fail', NASTY_MESSAGE, {
    path: '/etc/pulse-sensor-proxy/config.yaml',
    line: 7,
    evidence: 'allowed_source_subnets: ["0.0.0.0/0"]',
  }),
  result('PSP-FILE-001', 'fail', 'the private key is readable by group and others', {
    path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519',
    evidence: '0644 pulse-sensor-proxy:pulse-sensor-proxy',
  }),
  result('PSP-FILE-002', 'pass', 'socket directory is 0775 root:pulse-sensor-proxy', {
    path: '/run/pulse-sensor-proxy',
  }),
  result('PSP-FILE-002', 'pass', 'socket is 0660', {path: '/run/pulse-sensor-proxy/pulse-sensor-proxy.sock'}),
  result('PVE-USER-001', 'error', 'cannot read /etc/pve/user.cfg: EACCES (permission denied)', {
    path: '/etc/pve/user.cfg',
  }),
  result('PCT-MOUNT-001', 'skip', 'no Pulse container on this host'),
  result('PCT-ENV-002', 'skip', 'no Pulse container on this host'),
]

/** The state a result raises, stated independently of the code under test. */
function state(r: ReportResult, failOn: Severity): 'critical' | 'warning' | 'unknown' | 'ignored' | null {
  if (r.waived || r.status === 'pass' || r.status === 'skip') return null
  if (r.status === 'error') return 'unknown'
  const rank = (s: Severity) => ['info', 'low', 'medium', 'high', 'critical'].indexOf(s)
  if (r.severity === 'info' || rank(r.severity) < rank(failOn)) return 'ignored'
  return r.severity === 'critical' || r.severity === 'high' ? 'critical' : 'warning'
}

/** The report of the given results, counted as the engine counts them. */
export function reportOf(results: ReportResult[], failOn: Severity = 'low'): Report {
  const counts: ReportCounts = {
    critical: 0,
    warning: 0,
    unknown: 0,
    ignored: 0,
    passed: 0,
    skipped: 0,
    waived: 0,
  }
  for (const r of results) {
    const raised = state(r, failOn)
    if (raised) counts[raised]++
    else if (r.waived) counts.waived++
    else if (r.status === 'pass') counts.passed++
    else if (r.status === 'skip') counts.skipped++
  }
  const status: NagiosStatus =
    counts.critical > 0 ? 'CRITICAL' : counts.warning > 0 ? 'WARNING' : counts.unknown > 0 ? 'UNKNOWN' : 'OK'
  const severities: SeverityCounts = {critical: 0, high: 0, medium: 0, low: 0, info: 0}
  for (const r of results) if (r.status === 'fail' && !r.waived) severities[r.severity] += 1
  const ran = new Set(results.map((r) => r.check))
  return {
    tool: {name: 'pcp-harden', version: '0.1.0'},
    root: '/',
    profiles: ['pcp-collector', 'pcp-monitor', 'pulse-proxy', 'proxmox-host'],
    failOn,
    checks: checks.filter((c) => ran.has(c.id)),
    results,
    summary: {status, counts, severities},
  }
}

/**
 * One audit of a PCP collector that also runs the Pulse sensor proxy on a Proxmox host:
 * every severity, every status, a waiver, an ignored info failure, paths with and without
 * lines, a result without a path, and a message with `|`, `<`, `&`, quotes and an ESC.
 */
export const report: Report = reportOf(results)

/** Results of the fixture with the given status only (for OK / WARNING / UNKNOWN variants). */
export function resultsWhere(keep: (r: ReportResult) => boolean): ReportResult[] {
  return results.filter(keep)
}
