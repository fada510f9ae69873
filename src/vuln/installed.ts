import {gunzipSync} from 'node:zlib'

import {DiskBackend} from '../host/backend.js'
import type {Host} from '../host/host.js'
import {rpmPackage} from '../exec/rpm.js'
import {parseDebianVersion} from './debian-version.js'
import {DPKG_STATUS, isInstalled, parseDpkgStatus} from './dpkg-status.js'

/** The Debian changelog of the pcp package, where a backported fix names its CVE. */
export const PCP_DEBIAN_CHANGELOG = '/usr/share/doc/pcp/changelog.Debian.gz'

/** The installed pcp package, as its package manager records it. */
export interface InstalledPcp {
  manager: 'dpkg' | 'rpm'
  /** The full package version (`6.0.3-1.1`, `6.2.0-5.el9_4`). */
  version: string
  /** The upstream part (`6.0.3`). */
  upstream: string
  /** Where the version was read: `/var/lib/dpkg/status` line N, or `rpm --root ... -q pcp`. */
  source: {path: string; line?: number}
  /** The package's changelog text, empty when it has none. */
  changelog: string
  /** Where the changelog came from. */
  changelogPath?: string
}

export type InstalledLookup =
  | {state: 'found'; pcp: InstalledPcp}
  | {state: 'absent'; reason: string}
  | {state: 'error'; path: string; message: string}

/** Largest changelog read: Debian's pcp changelog is some 20 KiB compressed. */
const MAX_CHANGELOG = 4 * 1024 * 1024

async function debianChangelog(host: Host): Promise<string | undefined> {
  const st = await host.stat(PCP_DEBIAN_CHANGELOG, {follow: true})
  if (!st.ok || st.value.type !== 'file' || st.value.size > MAX_CHANGELOG) return undefined
  const bytes = await host.backend.readFile(st.value.resolved)
  try {
    return gunzipSync(bytes, {maxOutputLength: 8 * MAX_CHANGELOG}).toString('utf8')
  } catch {
    return undefined
  }
}

/**
 * The pcp package installed under the root: from dpkg's status file, else from the RPM database
 * (through this machine's rpm, when it has one and the root is a directory).
 */
export async function installedPcp(host: Host): Promise<InstalledLookup> {
  const status = await host.readText(DPKG_STATUS)
  if (status.ok) {
    const {packages} = parseDpkgStatus(status.value)
    const pkg = packages.find((p) => p.name === 'pcp' && isInstalled(p))
    if (pkg) {
      const parsed = parseDebianVersion(pkg.version)
      if (!parsed)
        return {
          state: 'error',
          path: DPKG_STATUS,
          message: `${DPKG_STATUS} line ${pkg.line}: pcp's Version "${pkg.version}" is not a Debian version`,
        }
      const changelog = await debianChangelog(host)
      return {
        state: 'found',
        pcp: {
          manager: 'dpkg',
          version: pkg.version,
          upstream: parsed.upstream,
          source: {path: DPKG_STATUS, line: pkg.line},
          changelog: changelog ?? '',
          ...(changelog === undefined ? {} : {changelogPath: PCP_DEBIAN_CHANGELOG}),
        },
      }
    }
  } else if (!status.missing) {
    return {state: 'error', path: DPKG_STATUS, message: status.message}
  }
  if (host.backend instanceof DiskBackend && (await host.exists('/var/lib/rpm'))) {
    const rpm = await rpmPackage(host.backend.root, 'pcp')
    if (rpm) {
      const upstream = rpm.version.split('-')[0] ?? rpm.version
      return {
        state: 'found',
        pcp: {
          manager: 'rpm',
          version: rpm.version,
          upstream,
          source: {path: '/var/lib/rpm'},
          changelog: rpm.changelog,
          changelogPath: 'rpm -q --changelog pcp',
        },
      }
    }
  }
  return {state: 'absent', reason: "no pcp package in the root's dpkg status or RPM database"}
}
