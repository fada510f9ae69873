import {chmod, writeFile} from 'node:fs/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {keysFileFindings} from '../../src/checks/keys/analysis.js'
import {FROM_PLACEHOLDER} from '../../src/checks/keys/remedy.js'
import type {Finding} from '../../src/checks/family.js'
import {type SshKey, type SshNode, sshTo, startKeysNode, stopKeysNode} from '../helpers/sshd.js'

/**
 * The remedies of the proxy's authorized_keys line, applied to a real sshd's (OpenSSH 9.2) file on
 * 127.0.0.1: the key still logs in from the addresses given, runs only the forced command, and the
 * admin's line beside it is left byte for byte.
 */
let dir: string
let node: SshNode
let proxy: SshKey
let admin: SshKey

const AK = '/root/.ssh/authorized_keys'
const NO_FORWARDING = 'no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty'

const findings = (text: string, proxyFrom?: string[]) =>
  keysFileFindings(text, AK, {
    user: 'root',
    proxyKeys: {ids: new Set(), files: []},
    ...(proxyFrom ? {proxyFrom} : {}),
  })

/** Apply a `replace` edit as the fixer does: the line must read exactly what the edit expects. */
function apply(text: string, f: Finding | undefined): string {
  const remedy = f?.remedy
  if (remedy?.kind !== 'edit') throw new Error(`no edit: ${JSON.stringify(remedy)}`)
  const lines = text.split('\n')
  for (const e of remedy.edits) {
    if (e.op !== 'replace') throw new Error(e.op)
    expect(lines[e.line - 1]).toBe(e.expect)
    lines[e.line - 1] = e.text
  }
  return lines.join('\n')
}

async function authorize(text: string) {
  await writeFile(node.authorizedKeys, text, {mode: 0o600})
  await chmod(node.authorizedKeys, 0o600)
}

beforeAll(async () => {
  ;({dir, node, proxy, admin} = await startKeysNode('pcp-harden-keys-remedy-'))
}, 30_000)

afterAll(() => stopKeysNode({dir, node}))

describe("the remedy of the proxy's authorized_keys line", () => {
  it('restricts the proxy line only: from= of its config, a forced command, no forwarding, the key byte-identical', async () => {
    const adminLine = `${admin.publicLine}`
    const before = `${adminLine}\n${proxy.publicLine} # pulse-managed-key\n`
    const found = findings(before, ['127.0.0.1/32'])
    expect(found.map((f) => f.check).sort()).toEqual(['PSP-KEYS-001', 'PSP-KEYS-002', 'PSP-KEYS-003'])
    // One edit, the same for the three findings, so applying one or all gives one line.
    for (const f of found) expect(f.remedy).toEqual(found[0]?.remedy)
    expect(found[0]?.remedy).toMatchObject({kind: 'edit', path: AK, validate: 'authorized-keys'})
    const after = apply(before, found[0])
    expect(after.split('\n')[0]).toBe(adminLine)
    expect(after.split('\n')[1]).toBe(
      `from="127.0.0.1/32",command="sensors -j",${NO_FORWARDING} ${proxy.publicLine} # pulse-managed-key`,
    )
    expect(findings(after, ['127.0.0.1/32'])).toEqual([])

    await authorize(after)
    const run = await sshTo(node, 'id', {identity: proxy.path})
    // Logged in (not ssh's 255), and the forced command ran instead of id (sensors is not installed here).
    expect(run.exitCode).not.toBe(255)
    expect(run.stdout).not.toMatch(/uid=0/)
    expect((await sshTo(node, 'id', {identity: admin.path})).stdout).toMatch(/uid=0/)
  }, 60_000)

  it('adds only the missing no-* options after restrict,pty, and keeps the forced command', async () => {
    const before = `restrict,command="echo forced",pty ${proxy.publicLine}\n`
    const [finding] = findings(before, ['127.0.0.1/32']).filter((f) => f.check === 'PSP-KEYS-003')
    const after = apply(before, finding)
    expect(after).toBe(`from="127.0.0.1/32",restrict,command="echo forced",pty,no-pty ${proxy.publicLine}\n`)
    await authorize(after)
    expect((await sshTo(node, 'id', {identity: proxy.path})).stdout).toMatch(/^forced/)
    const withPty = await sshTo(node, 'id', {identity: proxy.path, args: ['-tt']})
    expect(withPty.stderr).toMatch(/PTY allocation request failed/)
  }, 60_000)

  it('without allowed_source_subnets, leaves from= to the admin with a placeholder that fails closed', async () => {
    const before = `command="echo forced",${NO_FORWARDING} ${proxy.publicLine}\n`
    const [finding] = findings(before)
    expect(finding).toMatchObject({check: 'PSP-KEYS-001', remedy: {kind: 'manual'}})
    expect(finding?.fix).toContain(`from="${FROM_PLACEHOLDER}",command="echo forced"`)
    // Run unedited, the line lets nobody in: never wider than before.
    await authorize(`from="${FROM_PLACEHOLDER}",command="echo forced",${NO_FORWARDING} ${proxy.publicLine}\n`)
    expect((await sshTo(node, 'true', {identity: proxy.path})).exitCode).toBe(255)
  }, 60_000)

  it("never edits an admin's line: its findings are manual", () => {
    const before = `${admin.publicLine}\n${admin.publicLine}\nrestrict no-pty ${admin.publicLine}\n`
    const found = findings(before)
    expect(found.length).toBeGreaterThan(0)
    for (const f of found) expect(f.remedy?.kind, f.check).toBe('manual')
  })
})
