import path from 'node:path'

import type {Account, AccountDb} from '../../host/accounts.js'
import type {Host} from '../../host/host.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {PROXY_USER} from '../files/rules.js'
import {shellQuote} from '../fix.js'
import {withRemedy} from '../remedy.js'

/** The name the proxy's account had in early installers; nothing should still use it. */
export const STALE_PROXY_USER = 'pulse-proxy'
/** Shells that refuse an interactive login. */
export const NOLOGIN_SHELLS = [
  '/usr/sbin/nologin',
  '/sbin/nologin',
  '/usr/bin/nologin',
  '/bin/false',
  '/usr/bin/false',
]

const PASSWD = '/etc/passwd'
const GROUP = '/etc/group'

export interface AccountAnalysis {
  account?: Account
}

/** Whether a user (with its primary and supplementary groups) may write a path with this stat. */
function canWrite(
  st: {uid: number; gid: number; mode: number},
  user: Account,
  gids: readonly number[],
): boolean {
  if (user.id === 0) return true
  if (st.uid === user.id) return (st.mode & 0o200) !== 0
  if (gids.includes(st.gid)) return (st.mode & 0o020) !== 0
  return (st.mode & 0o002) !== 0
}

function groupsOf(db: AccountDb, user: Account): number[] {
  return [user.gid ?? -1, ...db.groups.filter((g) => g.members?.includes(user.name)).map((g) => g.id)]
}

/**
 * A home the service user can use: an existing directory it owns or may write (where ssh, cron
 * or a shell would find dotfiles it planted), or a missing one it could create.
 */
async function homeFinding(host: Host, db: AccountDb, user: Account): Promise<Finding | undefined> {
  const home = user.home ?? ''
  const at = {check: 'PSP-ACCOUNT-003', path: PASSWD, line: user.line, evidence: `home ${home || '(empty)'}`}
  if (home === '' || !home.startsWith('/'))
    return {
      ...at,
      message: `the home "${home}" is not an absolute path: programs fall back to the working directory`,
    }
  const gids = groupsOf(db, user)
  const st = await host.stat(home, {follow: true})
  if (st.ok) {
    if (st.value.type !== 'dir') return undefined
    if (st.value.uid === user.id)
      return {
        ...at,
        message: `the home ${home} exists and belongs to ${user.name}: it can keep dotfiles there`,
      }
    if (canWrite(st.value, user, gids))
      return {...at, message: `the home ${home} exists and ${user.name} can write it`}
    return undefined
  }
  if (!st.missing) return {...at, message: st.message, undecided: true}
  for (let dir = path.posix.dirname(home); ; dir = path.posix.dirname(dir)) {
    const parent = await host.stat(dir, {follow: true})
    if (parent.ok) {
      if (parent.value.type === 'dir' && canWrite(parent.value, user, gids))
        return {...at, message: `the home ${home} does not exist, but ${user.name} can create it in ${dir}`}
      return undefined
    }
    if (dir === '/') return undefined
  }
}

/**
 * Groups Pulse's installer (scripts/install-sensor-proxy.sh) adds the account to: www-data, so
 * that pvecm can reach the Proxmox cluster's IPC (the unit also sets SupplementaryGroups=www-data).
 */
export const INSTALLER_GROUPS: readonly string[] = ['www-data']

/** Not automatic: gpasswd edits /etc/group and /etc/gshadow together, and it is the tool that should. */
function leaveGroup(member: string, group: string) {
  return {
    kind: 'manual' as const,
    command: `gpasswd --delete ${shellQuote(member)} ${shellQuote(group)}`,
    why: 'gpasswd keeps /etc/group and /etc/gshadow in step; pcp-harden edits neither account file',
  }
}

function groupFindings(db: AccountDb, user: Account): Finding[] {
  const findings: Finding[] = []
  const add = (
    line: number | undefined,
    file: string,
    message: string,
    remove?: {member: string; group: string},
  ) =>
    findings.push({
      check: 'PSP-ACCOUNT-004',
      path: file,
      line,
      message,
      ...(remove ? withRemedy(leaveGroup(remove.member, remove.group)) : {}),
    })
  const primary = db.groups.find((g) => g.id === user.gid)
  if (user.gid === 0) add(user.line, PASSWD, `${user.name}'s primary group is gid 0 (root)`)
  else if (!primary) add(user.line, PASSWD, `${user.name}'s primary group ${user.gid} is not in /etc/group`)
  else if (primary.name !== user.name)
    add(
      user.line,
      PASSWD,
      `${user.name}'s primary group is ${primary.name}, not its own group (useradd --user-group)`,
    )
  if (primary && primary.id !== 0) {
    for (const other of db.users.filter((u) => u.gid === primary.id && u.name !== user.name))
      add(
        other.line,
        PASSWD,
        `${other.name} also has ${primary.name} as primary group: it can read the proxy's group-readable keys and state`,
      )
    for (const member of (primary.members ?? []).filter((m) => m !== user.name))
      add(
        primary.line,
        GROUP,
        `${member} is a member of ${primary.name}: it can read the proxy's group-readable keys and state`,
        {member, group: primary.name},
      )
  }
  for (const g of db.groups.filter(
    (g) => g.id !== user.gid && g.members?.includes(user.name) && !INSTALLER_GROUPS.includes(g.name),
  ))
    add(
      g.line,
      GROUP,
      `${user.name} is also a member of ${g.name}: the installer gives it no group but www-data (for pvecm on the cluster's IPC)`,
      {member: user.name, group: g.name},
    )
  return findings
}

/** The service account in /etc/passwd and /etc/group, judged once per host. */
export const analyzeAccount = perHost(async (host: Host): Promise<Outcome<AccountAnalysis>> => {
  const passwd = await host.stat(PASSWD)
  if (!passwd.ok && !passwd.missing) return {state: 'error', path: PASSWD, message: passwd.message}
  const db = await host.accounts()
  const account = db.users.find((u) => u.name === PROXY_USER)
  const findings: Finding[] = []
  const stale = db.users.find((u) => u.name === STALE_PROXY_USER)
  if (stale)
    findings.push({
      check: 'PSP-ACCOUNT-005',
      path: PASSWD,
      line: stale.line,
      message: `the old proxy account ${STALE_PROXY_USER} (uid ${stale.id}) is still there: files and keys it owns outlive the service it ran`,
      evidence: `shell ${stale.shell ?? ''}, home ${stale.home ?? ''}`,
    })
  if (!account) {
    findings.push({
      check: 'PSP-ACCOUNT-001',
      path: PASSWD,
      message: `there is no ${PROXY_USER} account: the unit cannot run as it (without User= it runs as root)`,
    })
    return {state: 'judged', findings}
  }
  if (account.id === 0)
    findings.push({
      check: 'PSP-ACCOUNT-001',
      path: PASSWD,
      line: account.line,
      message: `${PROXY_USER} has uid 0: the proxy runs as root whatever User= says`,
    })
  for (const twin of db.users.filter((u) => u.id === account.id && u.name !== PROXY_USER && account.id !== 0))
    findings.push({
      check: 'PSP-ACCOUNT-001',
      path: PASSWD,
      line: twin.line,
      message: `${twin.name} has the same uid ${account.id} as ${PROXY_USER}: it owns the proxy's keys too`,
    })
  if (!NOLOGIN_SHELLS.includes(account.shell ?? ''))
    findings.push({
      check: 'PSP-ACCOUNT-002',
      path: PASSWD,
      line: account.line,
      message: `${PROXY_USER} has the login shell "${account.shell ?? ''}", not nologin: su, sudo -u or an SSH login gives a shell holding the proxy's keys`,
    })
  const home = await homeFinding(host, db, account)
  if (home) findings.push(home)
  findings.push(...groupFindings(db, account))
  return {state: 'judged', findings, account}
})
