import {describe, expect, it} from 'vitest'

import {formatText} from '../../src/report/text.js'
import {report, reportOf, resultsWhere} from './fixture.js'

const plain = formatText(report, {color: false})
const lines = plain.split('\n')

function lineWith(text: string, from = lines): number {
  const index = from.findIndex((l) => l.includes(text))
  if (index < 0) throw new Error(`no line with ${text}`)
  return index
}

describe('formatText', () => {
  it('has no ANSI escapes without colour, even from hostile messages', () => {
    expect(plain).not.toContain('\u001b')
    expect(plain).toContain('every peer may ask for temperatures\\x1b[2J')
  })

  it('colours with ANSI escapes when asked to', () => {
    const coloured = formatText(report, {color: true})
    // eslint-disable-next-line no-control-regex
    expect(coloured).toMatch(/\u001b\[\d+m/)
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(plain)
  })

  it('ends with the findings by severity, then the Nagios state apart', () => {
    expect(lines.at(-1)).toBe('')
    expect(lines.slice(-3, -1)).toEqual([
      'Found: 1 critical, 1 high, 1 medium, 1 low, 1 info; 1 could not be checked; 5 passed, 2 skipped, 1 waived',
      'Status: CRITICAL (exit 2, fail-on: low; 1 below fail-on or info, not counted)',
    ])
  })

  it('groups results under a heading per component, in profile order', () => {
    const headings = [
      'PCP collector',
      'PCP monitor',
      'Pulse sensor proxy',
      'Proxmox VE host',
      'Pulse container',
    ]
    const at = headings.map((h) => lines.indexOf(h))
    expect(at.every((i) => i > 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
    const proxy = lines.slice(at[2], at[3])
    expect(proxy.some((l) => l.includes('PSP-FILE-001'))).toBe(true)
    expect(proxy.some((l) => l.includes('PCP-'))).toBe(false)
  })

  it('shows a failure with its tag, id, path, line, message and fix', () => {
    const i = lineWith('PSP-CONF-002')
    expect(lines[i]).toMatch(
      /^ {2}\[HIGH\] {5}PSP-CONF-002 \/etc\/pulse-sensor-proxy\/config\.yaml:7: allowed_source_subnets has "0\.0\.0\.0\/0" & 'any' <unrestricted> \| /,
    )
    expect(lines.slice(i + 1, i + 4)).toEqual([
      "             to do: Limit the subnets to the Pulse container's address:",
      '                    allowed_source_subnets:',
      '                      - 10.0.0.5/32',
    ])
    expect(lines[lineWith('PSP-FILE-001')]).toBe(
      '  [CRITICAL] PSP-FILE-001 /var/lib/pulse-sensor-proxy/ssh/id_ed25519: ' +
        'the private key is readable by group and others',
    )
    expect(lines[lineWith('PCP-TLS-001')]).toBe(
      '  [MEDIUM]   PCP-TLS-001: pmcd accepts unencrypted remote connections: no secure sockets are set up',
    )
  })

  it('lists failures worst first within a component', () => {
    expect(lineWith('PSP-FILE-001')).toBeLessThan(lineWith('PSP-CONF-002'))
    expect(lineWith('PSP-CONF-002')).toBeLessThan(lineWith('PSP-SVC-005'))
    expect(lines[lineWith('PSP-SVC-005') + 1]).toBe('             info only: does not raise the status')
  })

  it('shows waivers and errors', () => {
    const waived = lineWith('PCP-ACCESS-002')
    expect(lines[waived]).toMatch(/^ {2}\[WAIVED\] {3}PCP-ACCESS-002 \/etc\/pcp\/pmcd\/pmcd\.conf:42: /)
    expect(lines[waived + 1]).toBe(
      '             waived: lab network, tracked in OPS-1234 (until 2030-01-31, /etc/pcp-harden/waivers.yaml)',
    )
    expect(lines[lineWith('PVE-USER-001')]).toBe(
      '  [ERROR]    PVE-USER-001 /etc/pve/user.cfg: cannot read /etc/pve/user.cfg: EACCES (permission denied)',
    )
  })

  it('collapses passes into a count and hides skips unless verbose', () => {
    expect(plain).not.toContain('[PASS]')
    expect(plain).not.toContain('[SKIP]')
    expect(plain).not.toContain('no Pulse container on this host')
    expect(lines[lines.indexOf('Pulse container') + 1]).toBe('  0 passed, 2 skipped')
    const proxy = lines.slice(lines.indexOf('Pulse sensor proxy'), lines.indexOf('Proxmox VE host'))
    expect(proxy).toContain('  2 passed')
    expect(plain).not.toContain('seen: ')
  })

  it('lists passes, skips and evidence when verbose', () => {
    const verbose = formatText(report, {color: false, verbose: true}).split('\n')
    expect(verbose).toContain(
      '  [PASS]     PSP-FILE-002 /run/pulse-sensor-proxy: socket directory is 0775 root:pulse-sensor-proxy',
    )
    expect(verbose).toContain('  [SKIP]     PCT-MOUNT-001: no Pulse container on this host')
    expect(verbose).toContain('             seen: 0644 pulse-sensor-proxy:pulse-sensor-proxy')
    expect(verbose.some((l) => /^ {2}\d+ passed/.test(l))).toBe(false)
  })

  it('summarises an OK report', () => {
    const ok = formatText(reportOf(resultsWhere((r) => r.status === 'pass')), {color: false}).split('\n')
    expect(ok.slice(-3, -1)).toEqual([
      'Found: 0 critical, 0 high, 0 medium, 0 low; 0 could not be checked; 5 passed, 0 skipped, 0 waived',
      'Status: OK (exit 0, fail-on: low)',
    ])
  })
})
