import {describe, expect, it} from 'vitest'

import {removeAccount, removeProxyLines, removeProxyMounts} from '../../src/decommission/edits.js'
import {lineKeyId} from '../../src/rotate/lines.js'
import {ADMIN_KEY, OLD_PROXY_KEY, PROXY_KEY, RSA_KEY} from '../checks/pulse/keys.js'

describe('the edits of decommission', () => {
  it("removes only the proxy's authorized_keys lines, by marker, comment or key, and keeps every other byte", () => {
    const before = Buffer.from(
      `# keep me\r\n${ADMIN_KEY} admin\n` +
        `command="/opt/pulse/sensor-proxy/bin/pulse-sensor-proxy-wrapper" ${PROXY_KEY} pulse-sensor-proxy # pulse-managed-key\n` +
        `from="10.0.0.0/8",command="sensors -j" ${OLD_PROXY_KEY} renamed\n` +
        `command="/usr/local/sbin/pulse-sensors" ${RSA_KEY} # pulse-sensors\n` +
        `command=sensors -j ${ADMIN_KEY} # pulse-proxy-key\n` +
        'no newline at the end',
    )
    const edit = removeProxyLines(before, new Set([lineKeyId(OLD_PROXY_KEY) as string]))
    expect(edit.removed).toEqual([3, 4, 6])
    expect(edit.content.toString()).toBe(
      `# keep me\r\n${ADMIN_KEY} admin\ncommand="/usr/local/sbin/pulse-sensors" ${RSA_KEY} # pulse-sensors\nno newline at the end`,
    )
  })

  it('removes the mounts of the socket directory from the main section only', () => {
    const before = Buffer.from(
      'arch: amd64\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\nmp1: /srv/data,mp=/data\n' +
        'lxc.mount.entry: /run/pulse-sensor-proxy/pulse-sensor-proxy.sock mnt/pulse-proxy/s none bind,create=file 0 0\n' +
        '#lxc.mount.entry%3A /run/pulse-sensor-proxy mnt/pulse-proxy none bind 0 0\n\n' +
        '[snap]\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\n',
    )
    const edit = removeProxyMounts(before)
    expect(edit.removed).toEqual([2, 4])
    expect(edit.content.toString()).toBe(
      'arch: amd64\nmp1: /srv/data,mp=/data\n#lxc.mount.entry%3A /run/pulse-sensor-proxy mnt/pulse-proxy none bind 0 0\n\n' +
        '[snap]\nmp0: /run/pulse-sensor-proxy,mp=/mnt/pulse-proxy\n',
    )
  })

  it('removes the account from passwd, shadow, group and gshadow, member lists included', () => {
    const p = 'root:x:0:0::/root:/bin/bash\npulse-sensor-proxy:x:997:997::/nonexistent:/usr/sbin/nologin\n'
    expect(removeAccount(Buffer.from(p), 'passwd').toString()).toBe('root:x:0:0::/root:/bin/bash\n')
    const g =
      'www-data:x:33:pulse-sensor-proxy\nadm:x:4:alice,pulse-sensor-proxy,bob\npulse-sensor-proxy:x:997:\n'
    expect(removeAccount(Buffer.from(g), 'group').toString()).toBe('www-data:x:33:\nadm:x:4:alice,bob\n')
    const gs = 'www-data:*:pulse-sensor-proxy:pulse-sensor-proxy\npulse-sensor-proxy:!::\n'
    expect(removeAccount(Buffer.from(gs), 'gshadow').toString()).toBe('www-data:*::\n')
  })
})
