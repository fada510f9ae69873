import type {Check} from '../types.js'
import {APPARMOR_ATTRS, CONTAINER_ID_PLACEHOLDER, offlineImage, offlineSkip, onTheHost} from './view.js'

/** An AppArmor label as the kernel shows it: `lxc-100_</var/lib/lxc> (enforce)` or `unconfined`. */
export function parseAppArmorLabel(text: string): {profile: string; mode?: string} {
  const label = text.replace(/\0/g, '').trim()
  const moded = /^(.*\S)\s+\(([a-z]+)\)$/.exec(label)
  return moded ? {profile: moded[1] as string, mode: moded[2] as string} : {profile: label}
}

export const check: Check = {
  id: 'PSP-CT-002',
  title: 'The Pulse container is confined by AppArmor',
  severity: 'high',
  profiles: ['pulse-container'],
  tags: ['container', 'apparmor'],
  rationale:
    'PVE starts each container under its generated AppArmor profile (lxc-<vmid>_</var/lib/lxc>, enforce). ' +
    '`unconfined` means the profile was switched off (lxc.apparmor.profile: unconfined); complain mode only ' +
    "logs what it would deny. Newer kernels show AppArmor's label in /proc/self/attr/apparmor/current, older " +
    'ones in /proc/self/attr/current; the first that exists is read. An offline image has neither.',
  remediation:
    "On the host: remove lxc.apparmor.profile: unconfined from the container's config (PSP-LXC-002) and restart it",
  reference:
    'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Runtime Verification" (cat /proc/self/attr/current; NOT unconfined)',
  example: {
    fail: '/proc/self/attr/current: unconfined',
    pass: '/proc/self/attr/current: lxc-105_</var/lib/lxc> (enforce)',
  },
  async run(host) {
    if (await offlineImage(host)) return offlineSkip('the AppArmor label')
    for (const attr of APPARMOR_ATTRS) {
      const text = await host.readText(attr)
      if (!text.ok && text.missing) continue
      // The kernel answers EINVAL when no security module provides the attribute.
      if (!text.ok && /EINVAL/.test(text.message))
        return [
          {
            status: 'fail',
            path: attr,
            message:
              'the kernel has no AppArmor (reading the label fails with EINVAL): nothing confines the container',
          },
        ]
      if (!text.ok) return [{status: 'error', path: attr, message: text.message}]
      const {profile, mode} = parseAppArmorLabel(text.value)
      const evidence = text.value.replace(/\0/g, '').trim()
      if (profile === '')
        return [{status: 'error', path: attr, message: 'empty label: is AppArmor enabled in the kernel?'}]
      if (profile === 'unconfined' || mode === 'unconfined')
        return [
          {
            status: 'fail',
            path: attr,
            message: 'unconfined: AppArmor does not confine the container',
            evidence,
            ...onTheHost(
              `sed -i '1,/^\\[/{/^lxc\\.apparmor\\.profile[[:space:]]*[:=][[:space:]]*unconfined[[:space:]]*$/d;/^lxc\\.aa_profile[[:space:]]*[:=][[:space:]]*unconfined[[:space:]]*$/d;}' /etc/pve/lxc/${CONTAINER_ID_PLACEHOLDER}.conf && pct reboot ${CONTAINER_ID_PLACEHOLDER}`,
              'PVE then confines the container with its generated profile; what needed it unconfined (Docker, nesting) may need "features: nesting=1,keyctl=1" instead. Snapshot sections keep their line',
            ),
          },
        ]
      if (mode === 'complain')
        return [
          {
            status: 'fail',
            path: attr,
            message: `${profile} is in complain mode: it logs and denies nothing`,
            evidence,
          },
        ]
      return [
        {status: 'pass', path: attr, message: `confined by ${profile}${mode ? ` (${mode})` : ''}`, evidence},
      ]
    }
    return [
      {
        status: 'error',
        path: APPARMOR_ATTRS[1] as string,
        message: 'no AppArmor attribute under /proc/self/attr: the kernel has no AppArmor, or /proc hides it',
      },
    ]
  },
}
