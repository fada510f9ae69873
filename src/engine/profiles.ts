import {type Profile, PROFILES} from '../checks/types.js'
import type {Host} from '../host/host.js'
import {readSystemEnvironment} from '../parsers/pcp-env.js'

export interface DetectedProfile {
  profile: Profile
  /** The host path whose presence showed the profile. */
  evidence: string
}

const MARKERS: Record<Exclude<Profile, 'pcp-monitor'>, readonly string[]> = {
  'pcp-collector': [
    '/etc/pcp/pmcd/pmcd.conf',
    '/etc/pcp/pmcd',
    '/usr/lib/pcp/bin/pmcd',
    '/usr/libexec/pcp/bin/pmcd',
  ],
  'pulse-proxy': [
    '/var/lib/pulse-sensor-proxy',
    '/etc/pulse-sensor-proxy',
    '/run/pulse-sensor-proxy',
    '/etc/systemd/system/pulse-sensor-proxy.service',
    '/lib/systemd/system/pulse-sensor-proxy.service',
    '/usr/lib/systemd/system/pulse-sensor-proxy.service',
  ],
  'pulse-agent': [
    '/usr/local/bin/pulse-agent',
    '/etc/systemd/system/pulse-agent.service',
    '/var/lib/pulse-agent',
  ],
  'proxmox-host': ['/etc/pve', '/usr/bin/pveversion', '/usr/share/perl5/PVE/LXC.pm'],
  'pulse-container': ['/mnt/pulse-proxy', '/etc/pulse', '/etc/systemd/system/pulse.service'],
}

/**
 * A PCP monitor is a host where some user has a client-side PCP configuration (~/.pcp), or where
 * the files every login session reads (/etc/environment, /etc/profile, /etc/profile.d/*.sh) set
 * PCP client variables (PCP_SECURE_SOCKETS, the NSS-era PCP_ALLOW_* ...).
 */
async function monitorEvidence(host: Host): Promise<string | undefined> {
  const {users} = await host.accounts()
  const homes = [...new Set(users.map((u) => u.home).filter((h): h is string => !!h && h !== '/'))]
  for (const home of homes) {
    const candidate = `${home}/.pcp`
    const st = await host.stat(candidate)
    if (st.ok && st.value.type === 'dir') return candidate
  }
  const system = await readSystemEnvironment(host)
  return system.find((f) => f.statements.some((s) => s.kind !== 'unset' && s.name.startsWith('PCP_')))?.path
}

/** Which components exist under the root, each with the path that showed it. */
export async function detectProfiles(host: Host): Promise<DetectedProfile[]> {
  const found: DetectedProfile[] = []
  for (const [profile, markers] of Object.entries(MARKERS) as [Profile, readonly string[]][]) {
    for (const marker of markers) {
      if (await host.exists(marker)) {
        found.push({profile, evidence: marker})
        break
      }
    }
  }
  const monitor = await monitorEvidence(host)
  if (monitor) found.push({profile: 'pcp-monitor', evidence: monitor})
  return found.sort((a, b) => PROFILES.indexOf(a.profile) - PROFILES.indexOf(b.profile))
}
