import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {ReportResult} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {parseTreeSpec, type TreeSpec, treeSpecFromData} from '../../src/host/tree.js'
import {PMCD_BREAKS, seedTreeWithAll} from '../checks/pmcd-breaks.js'
import {SEED_FILE_BREAKS} from '../checks/breaks-extra.js'
import {REMEDY_BREAKS} from '../checks/remedy-breaks.js'
import {BREAKS as CONTAINER_BREAKS} from '../checks/pulse/container.js'
import {BREAKS as KEYS_BREAKS} from '../checks/pulse/keys.js'
import {BREAKS as LXC_BREAKS} from '../checks/pulse/lxc.js'
import {BREAKS as UNIT_BREAKS} from '../checks/pulse/unit.js'
import {STATES, VARIANTS} from '../checks/pulse-today/states.js'
import {ACCESS_BREAKS, BREAKS, CONFIG_BREAKS, seedTreeBroken, seedTreeWith} from '../checks/seed-tree.js'
import {REPO} from '../cli/run-cli.js'
import {DEBIAN_APT_ENTRIES} from '../conformance/debian-apt-tree.js'
import {HTTPS_BREAKS} from '../checks/proxy-https-trees.js'
import {NET_BREAKS} from '../net/breaks.js'
import {auditHost} from '../helpers/audit.js'

/** A failure as the user sees it, apart from its line (a fix may move the lines below it). */
export const key = (r: ReportResult) => `${r.check} ${r.path ?? ''}: ${r.message}`

/** The audit verify runs on a tree (every failure counts, no waivers). */
export async function auditTree(root: string, only?: string[]) {
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  return auditHost(host, {rootLabel: root, profiles, ...(only ? {only} : {})})
}

export async function failures(root: string): Promise<ReportResult[]> {
  return (await auditTree(root)).results.filter((r) => r.status === 'fail' || r.status === 'error')
}

export const sampleTree = async () =>
  parseTreeSpec(await readFile(path.join(REPO, 'sample/host.yaml'), 'utf8'), 'sample/host.yaml')

/** The leftover-key break: PCP-FILE-007's remedy moves a file. */
const leftover = BREAKS.find(([name]) => name === 'an old server key left in the TLS directory')

/** The trees the e2e tests audit: the sample host, Debian's stock pcp, and the broken seed trees. */
export const TREES: [string, () => Promise<TreeSpec>][] = [
  ['the sample host (verify --sample)', sampleTree],
  ["Debian's pcp as apt installs it", async () => treeSpecFromData({entries: DEBIAN_APT_ENTRIES}, 'debian')],
  [
    'the seed tree with a readable proxy key',
    async () => seedTreeWith({path: '/var/lib/pulse-sensor-proxy/ssh/id_ed25519', mode: 0o644}),
  ],
  [
    'the seed tree with an open proxy state directory',
    async () => seedTreeWith({path: '/var/lib/pulse-sensor-proxy', mode: 0o755}),
  ],
  ...(leftover
    ? [
        [`the seed tree with ${leftover[0]}`, async () => seedTreeWith(leftover[1])] as [
          string,
          () => Promise<TreeSpec>,
        ],
      ]
    : []),
  ...PMCD_BREAKS.map(([name, changes]): [string, () => Promise<TreeSpec>] => [
    `the seed tree with ${name}`,
    async () => seedTreeWithAll(changes),
  ]),
  ...REMEDY_BREAKS.map(([name, changes]): [string, () => Promise<TreeSpec>] => [
    `the seed tree with ${name}`,
    async () => seedTreeWithAll(changes),
  ]),
  ...ACCESS_BREAKS.map(([name, content]): [string, () => Promise<TreeSpec>] => [
    `the seed tree's pmcd.conf with ${name}`,
    async () => seedTreeWith({path: '/etc/pcp/pmcd/pmcd.conf', content}),
  ]),
  ...[...CONFIG_BREAKS, ...SEED_FILE_BREAKS].map(([name, change]): [string, () => Promise<TreeSpec>] => [
    `the seed tree with ${name}`,
    async () => seedTreeWith(change),
  ]),
  // The proxy's HTTPS mode, and firewall files with a line the engine refuses (manual remedies).
  ...[...HTTPS_BREAKS, ...NET_BREAKS].map(([name, changes]): [string, () => Promise<TreeSpec>] => [
    `the seed tree with ${name}`,
    async () => seedTreeWith(...changes),
  ]),
  // The breaks of the proxy's unit, authorized_keys, containers and the Pulse container.
  ...[...UNIT_BREAKS, ...KEYS_BREAKS, ...LXC_BREAKS, ...CONTAINER_BREAKS].map(
    (brk): [string, () => Promise<TreeSpec>] => [
      `the seed tree where ${brk.name}`,
      async () => seedTreeBroken(brk),
    ],
  ),
  // Pulse hosts as they are today: the legacy proxy, its leftovers, the agent, the SSH fallback.
  ...[...STATES, ...VARIANTS].map((state): [string, () => Promise<TreeSpec>] => [
    `a Pulse host: ${state.name}`,
    async () => treeSpecFromData({entries: state.entries}, state.name),
  ]),
]
