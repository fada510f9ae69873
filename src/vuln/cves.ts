/**
 * Known vulnerabilities of PCP, kept as data: the upstream release that fixes each, the
 * distribution builds known to carry a backported fix, what an attacker needs and gains, and the
 * way to blunt it until the package is updated. Sources are public advisories and upstream's
 * release notes; a test keeps every entry complete.
 */

/** What configuration makes a flaw reachable, judged per host by src/vuln/exposure.ts. */
export type ExposureKind =
  /** pmproxy reachable from the network and relaying to a Redis/Valkey key server. */
  | 'pmproxy-resp'
  /** pmcd accepting a store request from someone who is not root on the host. */
  | 'pmcd-store'
  /** Only an attacker already running as user pcp, who gains root. */
  | 'pcp-user'

export interface Backport {
  /** The distribution's name for the build, e.g. `RHEL 9`. */
  distribution: string
  /** The first package version (VERSION-RELEASE) with the fix. */
  version: string
}

export interface KnownVulnerability {
  id: string
  summary: string
  /** The first upstream release with the fix. */
  fixedIn: string
  backports: readonly Backport[]
  exposure: ExposureKind
  /** Who can exploit it and what they gain, in the words a finding uses. */
  impact: string
  /** What to do until the package is updated. */
  mitigation: string
  sources: readonly string[]
}

export const KNOWN_VULNERABILITIES: readonly KnownVulnerability[] = [
  {
    id: 'CVE-2023-6917',
    summary: 'root-run PCP scripts act on files in the pcp-owned /var/lib/pcp/tmp and /var/log/pcp',
    fixedIn: '6.2.0',
    backports: [],
    exposure: 'pcp-user',
    impact: 'a process running as user pcp (a compromised PMDA, pmlogger or pmie) can become root',
    mitigation:
      'keep /var/log/pcp and its subdirectories writable by pcp only (0775 pcp:pcp is shipped; no other user or group)',
    sources: [
      'https://nvd.nist.gov/vuln/detail/CVE-2023-6917',
      'performancecopilot/pcp CHANGELOG, pcp-6.2.0',
    ],
  },
  {
    id: 'CVE-2024-3019',
    summary: 'pmproxy relays Redis (RESP) protocol commands to its key server',
    fixedIn: '6.2.1',
    backports: [{distribution: 'RHEL 8', version: '5.3.7-20.el8_10'}],
    exposure: 'pmproxy-resp',
    impact:
      "anyone who reaches pmproxy's port can send any command to the Redis/Valkey key server, which can lead to " +
      "command execution as the key server's user",
    mitigation:
      'keep pmproxy on loopback (PMPROXY_LOCAL=1 in /etc/default/pmproxy or /etc/sysconfig/pmproxy, or -i 127.0.0.1 in ' +
      'pmproxy.options) or stop it (systemctl disable --now pmproxy), and require a password on the key server',
    sources: [
      'https://nvd.nist.gov/vuln/detail/CVE-2024-3019',
      'performancecopilot/pcp CHANGELOG, pcp-6.2.1',
    ],
  },
  {
    id: 'CVE-2024-45769',
    summary: 'pmcd corrupts its heap on a crafted store request (__pmDecodeValueSet)',
    fixedIn: '6.3.1',
    backports: [
      {distribution: 'RHEL 8', version: '5.3.7-22.el8_10'},
      {distribution: 'RHEL 9', version: '6.2.0-5.el9_4'},
    ],
    exposure: 'pmcd-store',
    impact: 'a client that may store into pmcd can crash it or run code in it',
    mitigation:
      'let only local clients store (disallow ".*" : store; and disallow ":*" : store; in pmcd.conf) and keep pmproxy ' +
      'on loopback, since pmcd treats pmproxy as a local client',
    sources: [
      'https://nvd.nist.gov/vuln/detail/CVE-2024-45769',
      'performancecopilot/pcp CHANGELOG, pcp-6.3.1',
    ],
  },
  {
    id: 'CVE-2024-45770',
    summary: 'pmpost follows symbolic links in /var/log/pcp while running as root',
    fixedIn: '6.3.1',
    backports: [
      {distribution: 'RHEL 8', version: '5.3.7-22.el8_10'},
      {distribution: 'RHEL 9', version: '6.2.0-5.el9_4'},
    ],
    exposure: 'pcp-user',
    impact:
      'a process running as user pcp can make a root-run pmpost write where it chooses, and become root',
    mitigation: 'keep /var/log/pcp writable by pcp only, and run no untrusted PMDA',
    sources: [
      'https://nvd.nist.gov/vuln/detail/CVE-2024-45770',
      'performancecopilot/pcp CHANGELOG, pcp-6.3.1',
    ],
  },
]
