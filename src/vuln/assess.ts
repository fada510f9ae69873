import type {Host} from '../host/host.js'
import {compareVersionPart} from './debian-version.js'
import {type ExposureKind, KNOWN_VULNERABILITIES, type KnownVulnerability} from './cves.js'
import {type Exposure, remoteStoreExposure, respRelayExposure} from './exposure.js'
import {type InstalledPcp, installedPcp} from './installed.js'

/** How one known vulnerability stands on a host. */
export type VulnerabilityState = {state: 'fixed'; why: string} | {state: 'vulnerable'; exposure: Exposure}

export interface VulnerabilityVerdict {
  vulnerability: KnownVulnerability
  verdict: VulnerabilityState
}

/** The changelog line that names the CVE (1-based), when a distribution backported its fix. */
export function changelogMention(changelog: string, id: string): number | undefined {
  const wanted = id.toUpperCase()
  const index = changelog.split('\n').findIndex((line) => line.toUpperCase().includes(wanted))
  return index < 0 ? undefined : index + 1
}

const distTag = (release: string) => /\.(el\d+)/.exec(release)?.[1]

/** An RPM build at or after a known backport of the same upstream version and distribution. */
function backportedBuild(pcp: InstalledPcp, vulnerability: KnownVulnerability): string | undefined {
  if (pcp.manager !== 'rpm') return undefined
  const [upstream, release = ''] = [
    pcp.version.split('-')[0] ?? '',
    pcp.version.split('-').slice(1).join('-'),
  ]
  for (const backport of vulnerability.backports) {
    const [bUpstream, bRelease = ''] = [
      backport.version.split('-')[0] ?? '',
      backport.version.split('-').slice(1).join('-'),
    ]
    if (upstream !== bUpstream || distTag(release) === undefined || distTag(release) !== distTag(bRelease))
      continue
    if (compareVersionPart(release, bRelease) >= 0) return `${backport.distribution} ${backport.version}`
  }
  return undefined
}

/** Whether this host's configuration puts a flaw of this kind in an attacker's reach. */
async function exposureOf(host: Host, kind: ExposureKind): Promise<Exposure> {
  if (kind === 'pmproxy-resp') return respRelayExposure(host)
  if (kind === 'pmcd-store') return remoteStoreExposure(host)
  return {exposed: false, why: 'only a process already running as user pcp can use it'}
}

/** Judge one vulnerability against the installed package: fixed upstream, backported, or present. */
export async function judgeVulnerability(
  host: Host,
  pcp: InstalledPcp,
  vulnerability: KnownVulnerability,
): Promise<VulnerabilityState> {
  if (compareVersionPart(pcp.upstream, vulnerability.fixedIn) >= 0)
    return {state: 'fixed', why: `fixed upstream in ${vulnerability.fixedIn}`}
  const line = changelogMention(pcp.changelog, vulnerability.id)
  if (line !== undefined)
    return {state: 'fixed', why: `backported: ${pcp.changelogPath ?? 'the changelog'} line ${line} names it`}
  const build = backportedBuild(pcp, vulnerability)
  if (build) return {state: 'fixed', why: `backported in ${build}`}
  return {state: 'vulnerable', exposure: await exposureOf(host, vulnerability.exposure)}
}

export type VulnerabilityAssessment =
  | {state: 'absent'; reason: string}
  | {state: 'error'; path: string; message: string}
  | {state: 'judged'; pcp: InstalledPcp; verdicts: VulnerabilityVerdict[]}

/** The installed pcp against every known vulnerability. */
export async function assessVulnerabilities(host: Host): Promise<VulnerabilityAssessment> {
  const installed = await installedPcp(host)
  if (installed.state !== 'found') return installed
  const verdicts: VulnerabilityVerdict[] = []
  for (const vulnerability of KNOWN_VULNERABILITIES)
    verdicts.push({vulnerability, verdict: await judgeVulnerability(host, installed.pcp, vulnerability)})
  return {state: 'judged', pcp: installed.pcp, verdicts}
}
