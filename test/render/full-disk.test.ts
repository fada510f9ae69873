import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {snapshot} from '../cert/tree.js'
import {cli, type CliRun} from '../cli/run-cli.js'
import {ACCOUNTS, buildTree} from '../helpers/tree.js'

/**
 * Writers on a full disk (a small tmpfs mounted for the test): a run either writes every file of
 * its plan or changes nothing and says so; never certificates from two CAs, never a lost backup.
 * The disk is filled to leave 0, 1, 2 ... pages free until a run succeeds, so every point at
 * which a multi-file write can run out of space is tried.
 */

const FILLER = 'filler'
const mounts: string[] = []

afterEach(() => {
  for (const dir of mounts.splice(0)) {
    execFileSync('umount', [dir])
    rmSync(dir, {recursive: true, force: true})
  }
})

/** A root on its own small tmpfs, built from a tree description. */
async function smallDisk(spec: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pcp-harden-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir])
  mounts.push(dir)
  await buildTree(spec, dir)
  return dir
}

/** Fill the disk until `pages` blocks are left (the filler lives at the root, outside every plan). */
function leaveFree(root: string, pages: number): void {
  rmSync(path.join(root, FILLER), {force: true})
  const fs = statfsSync(root)
  writeFileSync(path.join(root, FILLER), Buffer.alloc(Math.max(0, fs.bavail - pages) * fs.bsize))
}

async function without(root: string): Promise<Record<string, unknown>> {
  const all = await snapshot(root)
  delete all[`/${FILLER}`]
  return all
}

function tempsUnder(root: string): string[] {
  return readdirSync(root, {recursive: true})
    .map(String)
    .filter((name) => /\.pcp-harden-[A-Za-z0-9]{6}\.tmp$/.test(name))
}

/**
 * Run `write` with 0, step, 2*step ... pages free until it succeeds. Every failed run must leave the tree
 * exactly as it was and say, in one line, that nothing was changed. Returns the failed runs' count.
 */
async function untilItFits(root: string, write: () => Promise<CliRun>, step = 1): Promise<number> {
  let failed = 0
  for (let pages = 0; pages < 64; pages += step) {
    const before = await without(root)
    leaveFree(root, pages)
    const run = await write()
    if (run.code === 0) {
      rmSync(path.join(root, FILLER))
      expect(tempsUnder(root)).toEqual([])
      return failed
    }
    failed += 1
    expect(run.stderr).toMatch(
      /^pcp-harden: error: [^\n]*no space left on device \(ENOSPC\)[^\n]*; nothing was changed\n$/,
    )
    expect(await without(root)).toEqual(before)
    expect(tempsUnder(root)).toEqual([])
  }
  throw new Error('never fitted')
}

const COLLECTOR = `entries:${ACCOUNTS}
  - {path: /etc/pcp, type: dir}
  - {path: /etc/pcp/pmcd, type: dir}
  - {path: /etc/pcp/pmcd/pmcd.conf, content: "pmcd 2 dso pmcd_init /var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\\n"}
  - {path: /etc/pcp/pmcd/pmcd.options, content: "-A\\n"}
  - {path: /etc/pcp/pmproxy, type: dir}
  - {path: /etc/pcp/pmproxy/pmproxy.conf, content: "[pmproxy]\\nsecure.enabled = false\\n"}
  - {path: /home/alice, type: dir, owner: alice}
  - path: /etc/hostname
    content: "pcp1.example.com\\n"
`

function verifies(root: string, ca: string, certs: string[]): void {
  const local = (p: string) => path.join(root, p)
  execFileSync('openssl', ['verify', '-CAfile', local(ca), ...certs.map(local)], {stdio: 'pipe'})
}

describe('a full disk', {timeout: 120_000}, () => {
  it('cert init --force replaces every certificate and key, or none', async () => {
    const root = await smallDisk(COLLECTOR)
    const ca = ['cert', 'init', '--root', root, '--ca-dir', '/root/pcp-ca']
    expect((await cli(ca)).code).toBe(0)
    // Every third fill level: each run makes three key pairs.
    const failed = await untilItFits(root, () => cli([...ca, '--force']), 3)
    expect(failed).toBeGreaterThan(2)
    verifies(root, '/root/pcp-ca/ca.crt', ['/etc/pcp/tls/server.crt'])
  })

  it('cert issue --force replaces a monitor certificate and key, or neither', async () => {
    const root = await smallDisk(COLLECTOR)
    expect((await cli(['cert', 'init', '--root', root, '--ca-dir', '/root/pcp-ca'])).code).toBe(0)
    const issue = ['cert', 'issue', '--root', root, '--ca-dir', '/root/pcp-ca', '--user', 'alice']
    expect((await cli(issue)).code).toBe(0)
    expect(await untilItFits(root, () => cli([...issue, '--force']))).toBeGreaterThan(1)
    verifies(root, '/root/pcp-ca/ca.crt', ['/home/alice/.pcp/tls/client.crt'])
  })

  it('tls write sets up tls.conf, pmcd.options and pmproxy.conf together, or none of them', async () => {
    const root = await smallDisk(COLLECTOR)
    expect((await cli(['cert', 'init', '--root', root])).code).toBe(0)
    const write = ['tls', 'write', '--root', root, '--require-client-certs', '--pmproxy']
    expect(await untilItFits(root, () => cli(write))).toBeGreaterThan(1)
  })

  it('unit write creates all its units (and their directories) or nothing', async () => {
    const root = await smallDisk('entries:\n  - {path: /etc, type: dir}\n')
    expect(await untilItFits(root, () => cli(['unit', 'write', '--root', root]))).toBeGreaterThan(1)
  })

  it('access write keeps pmcd.conf and its previous backup when it cannot write', async () => {
    const conf = '/etc/pcp/pmcd/pmcd.conf'
    const root = await smallDisk(`entries:
  - {path: ${conf}, mode: "0640", content: "[access]\\nallow \\"local:*\\" : all;\\n"}
  - {path: ${conf}.pcp-harden.bak, mode: "0640", content: "an older backup\\n"}
`)
    const write = ['access', 'write', '--root', root, '--allow-fetch', '10.1.2.0/24']
    expect(await untilItFits(root, () => cli(write))).toBeGreaterThan(0)
  })
})
