import {parseTreeSpec, type TreeEntry, type TreeSpec} from '../../src/host/tree.js'
import {ACCOUNTS} from '../helpers/tree.js'

const P = 'pulse-sensor-proxy'

/** A host with exactly the modes and owners the seeds recommend (004 for the proxy, 000/001 for PCP). */
export const SEED_TREE = `
entries:
${ACCOUNTS}
  - {path: /var/lib/${P}, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh, type: dir, mode: "0700", owner: ${P}}
  - {path: /var/lib/${P}/ssh/id_ed25519, mode: "0600", owner: ${P}, content: "private\\n"}
  - {path: /var/lib/${P}/ssh/id_ed25519.pub, mode: "0640", owner: ${P}, content: "ssh-ed25519 AAAA\\n"}
  - {path: /var/lib/${P}/ssh.d, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/next, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/prev, type: dir, mode: "0750", owner: ${P}}
  - {path: /var/lib/${P}/ssh.d/next/id_ed25519, mode: "0600", owner: ${P}, content: "staged\\n"}
  - {path: /run/${P}, type: dir, mode: "0775", owner: ${P}}
  - {path: /run/${P}/${P}.sock, type: socket, mode: "0777", owner: ${P}}
  - {path: /etc/pcp, type: dir}
  - {path: /etc/pcp/pmcd, type: dir}
  - {path: /etc/pcp/pmcd/pmcd.conf, mode: "0640", group: pcp, content: "[access]\\nallow local:* : all;\\n"}
  - {path: /etc/pcp/pmcd/pmcd.conf.access, mode: "0640", group: pcp, content: ""}
  - {path: /etc/pcp/pmcd/pmcd.options, content: "-A\\n"}
  - {path: /etc/default/pmcd, content: "PMCD_LOCAL=0\\n"}
  - path: /etc/pcp/tls.conf
    content: |
      tls-ca-cert-file = /etc/pcp/tls/ca.crt
      tls-key-file = /etc/pcp/tls/server.key
      tls-cert-file = /etc/pcp/tls/server.crt
  - {path: /etc/pcp/tls, type: dir, mode: "0750", group: pcp}
  - {path: /etc/pcp/tls/ca.crt, content: "ca\\n"}
  - {path: /etc/pcp/tls/server.crt, content: "crt\\n"}
  - {path: /etc/pcp/tls/server.key, mode: "0600", owner: pcp, content: "key\\n"}
  - {path: /etc/sasl2/pmcd.conf, content: "mech_list: scram-sha-256\\nsasldb_path: /etc/pcp/passwd.db\\n"}
  - {path: /etc/pcp/passwd.db, mode: "0640", group: pcp, content: "db\\n"}
  - {path: /var/log/pcp, type: dir, mode: "0750", owner: pcp, group: adm}
  - {path: /var/log/pcp/pmcd, type: dir, mode: "0750", owner: pcp}
  - {path: /var/log/pcp/pmcd/pmcd.log, mode: "0644", owner: pcp, content: "log\\n"}
`

/** The seed tree with one entry changed (or added). */
export function seedTreeWith(change: Partial<TreeEntry> & {path: string}): TreeSpec {
  const spec = parseTreeSpec(SEED_TREE, 'seed tree')
  const index = spec.entries.findIndex((e) => e.path === change.path)
  if (index < 0) {
    spec.entries.push({type: 'file', mode: 0o644, owner: 'root', group: 'root', content: '', ...change})
  } else {
    const old = spec.entries[index] as TreeEntry
    spec.entries[index] = {
      ...old,
      ...change,
      content: (change.type ?? old.type) === 'file' ? (change.content ?? old.content ?? '') : undefined,
    }
  }
  return spec
}
